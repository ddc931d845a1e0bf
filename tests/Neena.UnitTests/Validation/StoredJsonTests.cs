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

    [Theory]
    [InlineData("{\"a\": 1")]
    [InlineData("1 2")]
    [InlineData("")]
    public void Serialize_TextThatIsNotOneJsonValue_Throws(string stored) =>
        Assert.ThrowsAny<Exception>(() => JsonSerializer.Serialize(new Holder(null, new StoredJsonObject(Encoding.UTF8.GetBytes(stored)))));
}
