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

    /// <summary>The bytes of <see cref="Utf8"/>: <c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c>.</summary>
    public const int Utf8Length = 27;

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> text = stackalloc byte[Utf8Length + 1];
        writer.WriteStringValue(text[..Utf8(value, text)]);
    }

    /// <summary>
    /// The instant as the answers write it, <c>yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'</c> in UTC (a value of unspecified kind is
    /// taken as UTC), as UTF-8 into <paramref name="destination"/> (at least 28 bytes); returns the length written.
    /// </summary>
    /// <remarks>
    /// The round-trip format has its own fast path where a custom format string goes through the general formatter (its
    /// six fraction digits through number formatting): a list of 100 runs writes 1,300 timestamps. "O" of a UTC value is
    /// the same text with a seventh fraction digit, which the custom format truncates, not rounds.
    /// </remarks>
    public static int Utf8(DateTime value, Span<byte> destination)
    {
        var utc = value.Kind switch
        {
            DateTimeKind.Local => value.ToUniversalTime(),
            DateTimeKind.Unspecified => DateTime.SpecifyKind(value, DateTimeKind.Utc),
            _ => value,
        };
        if (!utc.TryFormat(destination, out var written, "O", CultureInfo.InvariantCulture) || written != Utf8Length + 1)
            throw new InvalidOperationException("A timestamp did not fit its format.");
        destination[Utf8Length - 1] = (byte)'Z';
        return Utf8Length;
    }
}
