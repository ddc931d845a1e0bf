using System.Text.Json;
using System.Text.Json.Serialization;

namespace Neena.Api.Contracts.Common;

/// <summary>
/// Every <c>string</c> of a request body (and every dictionary key) passes <see cref="JsonValueRules"/>: PostgreSQL text
/// cannot hold U+0000 and UTF-16 text cannot hold a lone surrogate, so both are a 422 at the edge rather than a failed insert.
/// </summary>
public sealed class SafeStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        // A message-less exception lets the serializer name the path and the expected type.
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException();
        return JsonValueRules.ReadString(ref reader);
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonValueRules.ReadString(ref reader, isPropertyName: true);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);
}
