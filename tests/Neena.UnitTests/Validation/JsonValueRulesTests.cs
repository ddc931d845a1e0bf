using System.Text.Json;
using System.Text.Json.Nodes;
using Neena.Api.Contracts.Common;
using Neena.Api.Hosting;

namespace Neena.UnitTests.Validation;

public sealed class JsonValueRulesTests
{
    private static readonly JsonSerializerOptions Options = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        NeenaApi.ApplyJson(options);
        return options;
    }

    private sealed record Body(string? Text, double? Number, JsonNode? Tree, JsonElement? Element, Dictionary<string, int>? Map);

    [Theory]
    [InlineData("""{"text": "a\u0000"}""", "string contains a NUL character", "")]
    [InlineData("""{"text": "\ud800"}""", "string contains an unpaired surrogate", "")]
    [InlineData("""{"number": "NaN"}""", "value is not a finite number", "")]
    [InlineData("""{"number": 1e400}""", "value is not a finite number", "")]
    [InlineData("""{"tree": {"a": [1, {"b": "\udfff"}]}}""", "string contains an unpaired surrogate", "a.1.b")]
    [InlineData("""{"tree": {"a": {"\u0000": 1}}}""", "property name contains a NUL character", "a")]
    [InlineData("""{"tree": {"a": 1, "a": 2}}""", "duplicate property name", "a")]
    [InlineData("""{"element": [1e999]}""", "value is not a finite number", "0")]
    [InlineData("""{"tree": [1e-341]}""", "value is out of range (too many decimal places)", "0")]
    [InlineData("""{"map": {"\u0000": 1}}""", "property name contains a NUL character", "")]
    public void Deserialize_UnsafeValue_ThrowsARefusalAtItsPath(string json, string message, string path)
    {
        var e = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Body>(json, Options));

        Assert.True(JsonValueRules.TryParseRefusal(e.Message, out var refused, out var below), e.Message);
        Assert.Equal(message, refused);
        Assert.Equal(path, below);
    }

    [Fact]
    public void Deserialize_InvalidUtf8InATree_IsRefused()
    {
        byte[] json = [.. """{"tree": {"k": "x"""u8, 0xFF, .. "\"}}"u8];

        var e = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Body>(json, Options));

        Assert.True(JsonValueRules.TryParseRefusal(e.Message, out var refused, out var below), e.Message);
        Assert.Equal(("string is not valid UTF-8", "k"), (refused, below));
    }

    [Fact]
    public void Deserialize_SafeValues_RoundTrip()
    {
        const string json = """{"text": "😀 é", "number": "1.5", "tree": {"a": 1, "A": [0.1, 5e-324, 123456789012345678901234567890]}, "element": null, "map": {"k": 1}}""";

        var body = JsonSerializer.Deserialize<Body>(json, Options)!;

        Assert.Equal("😀 é", body.Text);
        Assert.Equal(1.5, body.Number);
        Assert.Equal("""{"a":1,"A":[0.1,5e-324,123456789012345678901234567890]}""", body.Tree!.ToJsonString());
        Assert.Equal(1, body.Map!["k"]);
        Assert.Contains("\"A\":[0.1,5e-324", JsonSerializer.Serialize(body, Options), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("value_error: string contains a NUL character", "string contains a NUL character", "")]
    [InlineData("value_error: duplicate property name @ a.0.b c", "duplicate property name", "a.0.b c")]
    [InlineData("value_error: string contains a NUL character @ a @ b. Path: x", "string contains a NUL character", "a @ b. Path: x")]
    public void TryParseRefusal_ReadsWhatRefusalWrites(string text, string message, string path)
    {
        Assert.True(JsonValueRules.TryParseRefusal(text, out var parsed, out var below));
        Assert.Equal((message, path), (parsed, below));
    }
}
