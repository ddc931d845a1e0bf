namespace Neena.Domain.Common;

public static class UtcTime
{
    /// <summary>An instant as UTC: one without a kind is taken as UTC (as the API reads input without an offset), a local one is converted.</summary>
    public static DateTime AsUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };
}
