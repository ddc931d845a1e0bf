using System.Text.Json;
using Neena.Api.Hosting;
using Neena.Api.Validation;

namespace Neena.UnitTests.Validation;

/// <summary>Instants cross the API in UTC; one that UTC cannot represent is refused, never clamped or shifted.</summary>
public sealed class UtcInstantTests
{
    private static readonly JsonSerializerOptions Options = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        NeenaApi.ApplyJson(options);
        return options;
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00+01:00")]
    [InlineData("0001-01-01T00:59:59+01:00")]
    [InlineData("9999-12-31T23:30:00-01:00")]
    [InlineData("yesterday")]
    public void TryParse_NotAnInstantInUtcsRange_Refuses(string text) =>
        Assert.False(UtcDateTimeModelBinder.TryParse(text, out _));

    [Theory]
    [InlineData("0001-01-01T00:00:00Z", "0001-01-01T00:00:00")]
    [InlineData("0001-01-01T01:00:00+01:00", "0001-01-01T00:00:00")]
    [InlineData("0001-01-01T00:00:00-01:00", "0001-01-01T01:00:00")]
    [InlineData("2026-12-06T10:00:00+02:00", "2026-12-06T08:00:00")]
    [InlineData("2026-12-06T10:00:00", "2026-12-06T10:00:00")]
    [InlineData("9999-12-31T23:59:59Z", "9999-12-31T23:59:59")]
    public void TryParse_AnInstant_IsItsUtcTime(string text, string utc)
    {
        Assert.True(UtcDateTimeModelBinder.TryParse(text, out var value));
        Assert.Equal(DateTimeKind.Utc, value.Kind);
        Assert.Equal(DateTime.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), DateTime.SpecifyKind(value, DateTimeKind.Unspecified));
    }

    private sealed record Body(DateTime At);

    [Fact]
    public void JsonBody_AnInstantBeforeYearOneInUtc_IsAJsonError() =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Body>("""{"at": "0001-01-01T00:00:00+01:00"}""", Options));

    [Fact]
    public void JsonBody_AnOffset_IsConvertedToUtc() =>
        Assert.Equal(new DateTime(2026, 12, 6, 8, 0, 0, DateTimeKind.Utc), JsonSerializer.Deserialize<Body>("""{"at": "2026-12-06T10:00:00+02:00"}""", Options)!.At);
}
