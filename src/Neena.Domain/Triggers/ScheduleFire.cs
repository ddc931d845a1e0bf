using System.Globalization;
using System.Text.Json.Nodes;

namespace Neena.Domain.Triggers;

/// <summary>The fields a schedule's fire gives its template and its flow request's metadata (§11).</summary>
public static class ScheduleFire
{
    public const string FireTimeField = "fire_time";
    public const string ScheduleNameField = "schedule_name";

    public static readonly IReadOnlyList<string> Fields = [FireTimeField, ScheduleNameField];

    /// <summary>The fire's fields: the slot as ISO 8601 UTC and the schedule's name.</summary>
    public static JsonObject Values(DateTime fireTime, string scheduleName) => new()
    {
        [FireTimeField] = Common.UtcTime.AsUtc(fireTime).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        [ScheduleNameField] = scheduleName,
    };
}
