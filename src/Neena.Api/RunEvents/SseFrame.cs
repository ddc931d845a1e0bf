using System.Buffers;
using System.IO.Pipelines;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;

namespace Neena.Api.RunEvents;

/// <summary>
/// One Server-Sent Event framed by .NET's <see cref="SseFormatter"/> (field names, data split at line breaks, the blank
/// line that ends it), as bytes the streamer writes under its slow-reader deadline. The stream's preamble
/// (<c>retry:</c> alone) and its heartbeat comments are the two frames the formatter cannot write: an item always has a
/// data field, which would deliver an empty event to an <c>EventSource</c>.
/// </summary>
internal static class SseFrame
{
    public static async ValueTask<ReadOnlyMemory<byte>> FormatAsync<T>(string eventType, T data, string? id, Action<T, IBufferWriter<byte>> writeData, CancellationToken cancellationToken)
    {
        using var frame = new MemoryStream();
        await SseFormatter.WriteAsync(One(new SseItem<T>(data, eventType) { EventId = id }), frame, (item, writer) => writeData(item.Data, writer), cancellationToken);
        return frame.GetBuffer().AsMemory(0, (int)frame.Length);
    }

    /// <summary>An event whose data is a line of text.</summary>
    public static ValueTask<ReadOnlyMemory<byte>> FormatAsync(string eventType, string data, CancellationToken cancellationToken) =>
        FormatAsync(eventType, data, null, static (text, writer) => System.Text.EncodingExtensions.GetBytes(System.Text.Encoding.UTF8, text, writer), cancellationToken);

    /// <summary>
    /// Writes the event <see cref="FormatAsync{T}"/> would frame, byte for byte, straight into <paramref name="body"/>, whose
    /// flushes wait for the client. Nothing holds the whole event: a run of many MB costs a stalled reader the pipe's
    /// bounded buffer and the largest single value, not a frame the size of the run (and a copy of it in the pipe) per
    /// reader. The data must be JSON written without indentation, so it is one line: the formatter would not split it.
    /// </summary>
    public static async ValueTask WriteAsync<T>(PipeWriter body, string eventType, T data, string id, JsonSerializerOptions options, CancellationToken cancellationToken)
    {
        if (options.WriteIndented)
            throw new InvalidOperationException("Event data is written as one line: indented JSON would need splitting.");
        WriteField(body, "event: "u8, eventType);
        body.Write("data: "u8);
        await JsonSerializer.SerializeAsync(body, data, options, cancellationToken);
        body.Write("\n"u8);
        WriteField(body, "id: "u8, id);
        body.Write("\n"u8);
        var flushed = await body.FlushAsync(cancellationToken);
        if (flushed.IsCanceled)
            throw new OperationCanceledException(cancellationToken);
    }

    private static void WriteField(PipeWriter body, ReadOnlySpan<byte> name, string value)
    {
        body.Write(name);
        Encoding.UTF8.GetBytes(value, body);
        body.Write("\n"u8);
    }

    private static async IAsyncEnumerable<SseItem<T>> One<T>(SseItem<T> item)
    {
        await Task.CompletedTask;
        yield return item;
    }
}
