using System.Text.Json;
using System.Text.Json.Serialization;

namespace Neena.Api.Contracts.Common;

/// <summary>PostgreSQL text cannot hold U+0000; refuse it at the edge as a 422 rather than fail on insert.</summary>
public sealed class SafeStringConverter : JsonConverter<string>
{
    public const string NulMessage = "value_error: string contains a NUL character";

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException();
        var value = reader.GetString()!;
        if (value.Contains('\0', StringComparison.Ordinal))
            throw new JsonException(NulMessage);
        return value;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
