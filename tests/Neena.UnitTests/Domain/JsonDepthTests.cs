using System.Text.Json;
using System.Text.Json.Nodes;
using Neena.Domain.Common;
using Neena.Engine;
using Neena.Integrations;

namespace Neena.UnitTests.Domain;

public sealed class JsonDepthTests
{
    private static string Arrays(int depth) => new string('[', depth) + new string(']', depth);

    [Theory]
    [InlineData(1)]
    [InlineData(JsonDepth.MaxStored)]
    [InlineData(64)]
    public void Depth_CountsContainersAsSystemTextJsonsMaxDepthDoes(int depth)
    {
        var options = new JsonDocumentOptions { MaxDepth = depth };
        using var fits = JsonDocument.Parse(Arrays(depth), options);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(Arrays(depth + 1), options));

        Assert.False(JsonDepth.Exceeds(fits.RootElement, depth));
        Assert.True(JsonDepth.Exceeds(JsonDocument.Parse(Arrays(depth + 1), new JsonDocumentOptions { MaxDepth = 200 }).RootElement, depth));
        Assert.False(JsonDepth.Exceeds(JsonNode.Parse(Arrays(depth)), depth));
        Assert.True(JsonDepth.Exceeds(JsonNode.Parse(Arrays(depth + 1), documentOptions: new JsonDocumentOptions { MaxDepth = 200 }), depth));
    }

    [Fact]
    public void ParseStored_ReadsUpToMaxRead_DeeperIsTheMarker_BrokenTextStaysAnError()
    {
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Arrays(3)), JsonDepth.ParseStored(Arrays(3), out var shallow)));
        Assert.False(shallow);
        Assert.IsType<JsonArray>(JsonDepth.ParseStored(Arrays(JsonDepth.MaxRead), out var atRead));
        Assert.False(atRead);

        var marker = JsonDepth.ParseStored(Arrays(JsonDepth.MaxRead + 1), out var tooDeep);
        Assert.True(tooDeep);
        Assert.NotNull(marker![JsonDepth.UnreadableProperty]);
        Assert.ThrowsAny<JsonException>(() => JsonDepth.ParseStored("[[1]", out _));
    }

    [Fact]
    public void SerializerOptions_WriteWhatReadersAccept()
    {
        var node = JsonNode.Parse(Arrays(JsonDepth.MaxRead), documentOptions: new JsonDocumentOptions { MaxDepth = JsonDepth.MaxRead })!;
        Assert.Equal(Arrays(JsonDepth.MaxRead), node.ToJsonString(JsonDepth.SerializerOptions));
    }

    [Fact]
    public void TaskOutput_DeeperThanTheLimit_FailsTheTaskSayingSo()
    {
        StorableOutput.Ensure(JsonNode.Parse(Arrays(JsonDepth.MaxStored)));

        var error = Assert.Throws<TaskFailedException>(() => StorableOutput.Ensure(JsonNode.Parse(Arrays(JsonDepth.MaxStored + 1))));
        Assert.Contains($"nests deeper than {JsonDepth.MaxStored} levels", error.Message, StringComparison.Ordinal);
    }
}
