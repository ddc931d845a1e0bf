using Cronos;
using Neena.Domain.Common;

namespace Neena.Domain.Triggers;

/// <summary>What to do with the slots a schedule missed while no instance was running.</summary>
public static class MissedFires
{
    /// <summary>One fire for all the missed slots (at the latest of them).</summary>
    public const string RunOnce = "run_once";

    /// <summary>No fire for missed slots; the schedule carries on with its next slot.</summary>
    public const string Skip = "skip";

    public static readonly IReadOnlyList<string> All = [RunOnce, Skip];
}

/// <summary>
/// The answer of <see cref="CronSchedule.Plan"/>: the slot to fire now (null for none) and the next slot after now, when
/// the scheduler should wake again (null when the expression never fires again).
/// </summary>
public sealed record ScheduleFirePlan(DateTime? FireTime, DateTime? NextFireTime);

/// <summary>
/// A parsed cron expression in an IANA time zone. Cronos parses and steps it, so daylight-saving changes are handled as
/// Cronos defines: a slot inside the hour skipped in spring fires once when the clock jumps; in autumn, interval slots
/// (<c>*/30</c>) fire in both passes of the repeated hour and fixed slots (<c>30 2</c>) only in the first.
/// </summary>
public sealed class CronSchedule
{
    public const int MaxCronLength = 200;
    public const int MaxTimeZoneLength = 100;
    public const string DefaultTimeZone = "UTC";

    /// <summary>Six-field expressions must not fire more often than this: every fire is a flow request and a run.</summary>
    public static readonly TimeSpan MinSecondsInterval = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How late a slot may be noticed and still count as on time rather than missed (the worker's wake-up and database
    /// latency). Shorter than <see cref="MinSecondsInterval"/>, so at most one slot is ever on time.
    /// </summary>
    public static readonly TimeSpan OnTimeTolerance = TimeSpan.FromSeconds(5);

    // Stepping this many fires in the zone from a fixed instant finds a too-short gap: the seconds set repeats every minute
    // it fires in, so a gap shorter than 10 s shows up within the first minutes that fire.
    private const int IntervalCheckSteps = 1000;
    private static readonly DateTime IntervalCheckStart = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly CronExpression _expression;

    private CronSchedule(CronExpression expression, TimeZoneInfo zone, bool includesSeconds)
    {
        _expression = expression;
        Zone = zone;
        IncludesSeconds = includesSeconds;
    }

    public TimeZoneInfo Zone { get; }

    public bool IncludesSeconds { get; }

    /// <summary>Parses <paramref name="cron"/> in <paramref name="timeZone"/>, or throws every problem as a validation error.</summary>
    public static CronSchedule Parse(string? cron, string? timeZone, string cronField = "cron", string timeZoneField = "time_zone")
    {
        var errors = new List<KeyValuePair<string, string>>();
        var zone = ParseTimeZone(timeZone, out var zoneError);
        if (zoneError is not null) errors.Add(new(timeZoneField, zoneError));
        var expression = ParseCron(cron, out var includesSeconds, out var cronError);
        if (cronError is not null) errors.Add(new(cronField, cronError));
        if (errors.Count == 0)
        {
            var schedule = new CronSchedule(expression!, zone!, includesSeconds);
            var stepError = schedule.CheckFires();
            if (stepError is null) return schedule;
            errors.Add(new(cronField, stepError));
        }
        throw new DomainValidationException(errors);
    }

    /// <summary>The IANA zone of that name (<c>UTC</c> when none is given), or null with the reason.</summary>
    public static TimeZoneInfo? ParseTimeZone(string? timeZone, out string? error)
    {
        error = null;
        var name = string.IsNullOrWhiteSpace(timeZone) ? DefaultTimeZone : timeZone.Trim();
        if (name.Length > MaxTimeZoneLength)
        {
            error = $"ensure this value has at most {MaxTimeZoneLength} characters";
            return null;
        }
        // Windows names also resolve on some hosts; the contract stores IANA names, which every host understands.
        if (TimeZoneInfo.TryFindSystemTimeZoneById(name, out var zone) && zone.HasIanaId) return zone;
        error = $"'{name}' is not a known IANA time zone name (for example UTC or Europe/Amsterdam)";
        return null;
    }

    private static CronExpression? ParseCron(string? cron, out bool includesSeconds, out string? error)
    {
        includesSeconds = false;
        error = null;
        if (string.IsNullOrWhiteSpace(cron))
        {
            error = "field required";
            return null;
        }
        if (cron.Length > MaxCronLength)
        {
            error = $"ensure this value has at most {MaxCronLength} characters";
            return null;
        }
        var fields = cron.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6) || cron.TrimStart().StartsWith('@'))
        {
            error = $"a cron expression has 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first); this one has {fields}";
            return null;
        }
        includesSeconds = fields == 6;
        try
        {
            return CronExpression.Parse(cron, includesSeconds ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            error = $"not a valid cron expression: {e.Message}";
            return null;
        }
    }

    private string? CheckFires()
    {
        var previous = Next(IntervalCheckStart);
        if (previous is null) return "this cron expression never fires";
        if (!IncludesSeconds) return null;
        for (var i = 0; i < IntervalCheckSteps; i++)
        {
            var next = Next(previous.Value);
            if (next is null) break;
            if (next.Value - previous.Value < MinSecondsInterval)
            {
                return $"a 6-field cron expression must fire at least {MinSecondsInterval.TotalSeconds:0} s apart; this one fires at " +
                       $"{previous.Value:yyyy-MM-ddTHH:mm:ssZ} and {next.Value:yyyy-MM-ddTHH:mm:ssZ}";
            }
            previous = next;
        }
        return null;
    }

    /// <summary>The first slot strictly after <paramref name="afterUtc"/>, in UTC; null when there is none.</summary>
    public DateTime? Next(DateTime afterUtc) => _expression.GetNextOccurrence(UtcTime.AsUtc(afterUtc), Zone, inclusive: false);

    /// <summary>The next <paramref name="count"/> slots strictly after <paramref name="afterUtc"/>, in UTC.</summary>
    public IReadOnlyList<DateTime> NextFireTimes(DateTime afterUtc, int count = 3)
    {
        var times = new List<DateTime>(count);
        var from = UtcTime.AsUtc(afterUtc);
        while (times.Count < count && Next(from) is { } next)
        {
            times.Add(next);
            from = next;
        }
        return times;
    }

    /// <summary>
    /// What to fire at <paramref name="nowUtc"/>. Slots after <paramref name="sinceUtc"/> (the later of the last fire and when
    /// the schedule became active) up to now are due; the latest of them fires if it is on time (within
    /// <see cref="OnTimeTolerance"/>). Older slots were missed: <see cref="MissedFires.RunOnce"/> fires once, at the latest
    /// due slot, for all of them; <see cref="MissedFires.Skip"/> fires none. Either way every instance deciding with the same
    /// inputs names the same fire time, which the unique (operation, fire time) key turns into one trigger run.
    /// </summary>
    public ScheduleFirePlan Plan(DateTime sinceUtc, DateTime nowUtc, string missedFires)
    {
        var since = UtcTime.AsUtc(sinceUtc);
        var now = UtcTime.AsUtc(nowUtc);
        var nextAfterNow = Next(now);
        var latest = LatestSlot(since, now);
        if (latest is null) return new(null, nextAfterNow);
        var onTime = now - latest.Value <= OnTimeTolerance;
        var fire = onTime || missedFires == MissedFires.RunOnce ? latest : null;
        return new(fire, nextAfterNow);
    }

    // The latest slot in (since, now]. Cronos only steps forward, so this looks at widening windows ending at now: a schedule
    // every 10 s down for a week steps through an hour of slots, not a week of them.
    private DateTime? LatestSlot(DateTime since, DateTime now)
    {
        if (Next(since) is not { } first || first > now) return null;
        foreach (var window in (ReadOnlySpan<TimeSpan>)[TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), TimeSpan.FromDays(1), TimeSpan.FromDays(32), TimeSpan.FromDays(400)])
        {
            var from = now - window;
            if (from <= since) break;
            if (LastBefore(from, now) is { } found) return found;
        }
        return LastBefore(since, now);
    }

    private DateTime? LastBefore(DateTime from, DateTime now)
    {
        DateTime? last = null;
        var cursor = from;
        while (Next(cursor) is { } next && next <= now)
        {
            last = next;
            cursor = next;
        }
        return last;
    }
}
