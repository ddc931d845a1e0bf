using System.IO.Pipelines;
using System.Text.Json;
using Neena.Api.Hosting;
using Neena.Api.RunEvents;

namespace Neena.UnitTests.Operations;

public sealed class SseFrameTests
{
    private static readonly JsonSerializerOptions Json = CreateJson();

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions();
        NeenaApi.ApplyJson(options);
        return options;
    }

    private sealed record Sample(string Status, string Text, int[] Numbers);

    [Fact]
    public async Task WriteAsync_StreamedEvent_IsByteForByteTheFormattersFrame()
    {
        // Line breaks and non-ASCII inside strings, and data larger than the pipe's flush threshold.
        var data = new Sample("in_progress", "line one\nline two\r\n« é » " + new string('x', 200_000), [.. Enumerable.Range(0, 5_000)]);
        var formatted = await SseFrame.FormatAsync("task_run", data, "I.C1.-0", (value, buffer) =>
        {
            using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = Json.Encoder });
            JsonSerializer.Serialize(writer, value, Json);
        }, CancellationToken.None);

        using var streamed = new MemoryStream();
        var pipe = PipeWriter.Create(streamed);
        await SseFrame.WriteAsync(pipe, "task_run", data, "I.C1.-0", Json, CancellationToken.None);
        await pipe.CompleteAsync();

        Assert.Equal(formatted.ToArray(), streamed.ToArray());
    }
}
