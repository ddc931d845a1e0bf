using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Neena.Api.Contracts.Common;

/// <summary>
/// Every timestamp crosses the API in UTC with a <c>Z</c>: input without an offset is taken as UTC, input with one
/// is converted, so nothing with an unspecified kind reaches PostgreSQL's <c>timestamptz</c>.
/// </summary>
public sealed class UtcDateTimeConverter : JsonConverter<DateTime>
{
    public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        // TryGetDateTimeOffset accepts ISO 8601 only; a message-less JsonException lets the serializer name the path and type.
        // An instant outside UTC's years 1–9999 (0001-01-01T00:00:00+01:00) is refused rather than clamped to another one.
        if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out _)
            || !Validation.UtcDateTimeModelBinder.TryParse(reader.GetString()!, out var utc))
            throw new JsonException();
        return utc;
    }

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options)
    {
        var utc = value.Kind switch
        {
            DateTimeKind.Local => value.ToUniversalTime(),
            DateTimeKind.Unspecified => DateTime.SpecifyKind(value, DateTimeKind.Utc),
            _ => value,
        };
        writer.WriteStringValue(utc.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
    }
}
