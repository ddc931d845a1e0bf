using System.Globalization;
using System.Text;
using System.Text.Json;
using Neena.Api.Contracts.Common;

namespace Neena.UnitTests.Validation;

/// <summary>
/// Timestamps are written from the round-trip format's fast path (<see cref="UtcDateTimeConverter.Utf8"/>) and must be
/// the very text the answers always had, <c>yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'</c> in UTC: six fraction digits, truncated.
/// </summary>
public sealed class UtcDateTimeConverterTests
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    private static readonly JsonSerializerOptions Options = new() { Converters = { new UtcDateTimeConverter() } };

    public static TheoryData<DateTime> Instants() =>
    [
        DateTime.MinValue,
        DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc),
        new DateTime(2026, 12, 7, 21, 27, 4, DateTimeKind.Utc).AddTicks(1_234_567),
        new DateTime(2026, 12, 7, 21, 27, 4, DateTimeKind.Utc).AddTicks(9_999_999),
        new DateTime(2026, 12, 7, 21, 27, 4, DateTimeKind.Utc).AddTicks(9),
        new DateTime(999, 1, 2, 3, 4, 5, DateTimeKind.Utc),
        new DateTime(2024, 2, 29, 23, 59, 59, DateTimeKind.Unspecified).AddTicks(5_000_001),
        new DateTime(2025, 6, 30, 12, 0, 0, DateTimeKind.Local).AddTicks(123),
    ];

    [Theory]
    [MemberData(nameof(Instants))]
    public void Utf8_IsTheCustomFormatsText_OfTheInstantInUtc(DateTime value)
    {
        var utc = value.Kind switch
        {
            DateTimeKind.Local => value.ToUniversalTime(),
            DateTimeKind.Unspecified => DateTime.SpecifyKind(value, DateTimeKind.Utc),
            _ => value,
        };
        Span<byte> text = stackalloc byte[UtcDateTimeConverter.Utf8Length + 1];
        var written = UtcDateTimeConverter.Utf8(value, text);
        Assert.Equal(utc.ToString(Format, CultureInfo.InvariantCulture), Encoding.UTF8.GetString(text[..written]));
    }

    [Fact]
    public void Utf8_AgreesWithTheCustomFormat_OverRandomInstants()
    {
        var random = new Random(23);
        Span<byte> text = stackalloc byte[UtcDateTimeConverter.Utf8Length + 1];
        for (var i = 0; i < 100_000; i++)
        {
            var value = new DateTime(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), DateTimeKind.Utc);
            var written = UtcDateTimeConverter.Utf8(value, text);
            Assert.Equal(value.ToString(Format, CultureInfo.InvariantCulture), Encoding.UTF8.GetString(text[..written]));
        }
    }

    [Fact]
    public void Serializer_WritesTheSameText()
    {
        var value = new DateTime(2026, 12, 7, 21, 27, 4, DateTimeKind.Utc).AddTicks(1_234_567);
        Assert.Equal("\"2026-12-07T21:27:04.123456Z\"", JsonSerializer.Serialize(value, Options));
    }
}
