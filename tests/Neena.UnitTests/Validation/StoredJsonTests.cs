using System.Text;
using System.Text.Json;
using Neena.Api.Contracts.Common;

namespace Neena.UnitTests.Validation;

public sealed class StoredJsonTests
{
    private sealed record Holder(StoredJson? Result, StoredJsonObject? Answer);

    [Fact]
    public void Serialize_WritesTheStoredTextAsItIs()
    {
        const string stored = """{"text": "Grüße, \"Ada\" <3", "items": [1, 2.50, null]}""";

        var json = JsonSerializer.Serialize(new Holder(new StoredJson(Encoding.UTF8.GetBytes(stored)), null));

        Assert.Equal("{\"Result\":" + stored + ",\"Answer\":null}", json);
        Assert.Equal("Grüße, \"Ada\" <3", JsonDocument.Parse(json).RootElement.GetProperty("Result").GetProperty("text").GetString());
    }

    [Fact]
    public void Serialize_StoredValuesBetweenOtherProperties_TheResponseIsOneWellFormedDocument()
    {
        var stored = Encoding.UTF8.GetBytes("""{"nested": {"list": [true, false, {"x": "y"}]}, "n": -1.5e3}""");

        var json = JsonSerializer.Serialize(new[] { new Holder(new StoredJson(stored), new StoredJsonObject(stored)), new Holder(null, null) });

        using var document = JsonDocument.Parse(json);
        Assert.Equal(-1500, document.RootElement[0].GetProperty("Answer").GetProperty("n").GetDouble());
        Assert.Equal(JsonValueKind.Null, document.RootElement[1].GetProperty("Result").ValueKind);
    }
}
