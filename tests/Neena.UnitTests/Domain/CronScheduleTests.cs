using Neena.Domain.Common;
using Neena.Domain.Triggers;

namespace Neena.UnitTests.Domain;

public sealed class CronScheduleTests
{
    private static DateTime Utc(string iso) => DateTime.SpecifyKind(DateTime.Parse(iso, System.Globalization.CultureInfo.InvariantCulture,
        System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal), DateTimeKind.Utc);

    private static KeyValuePair<string, string> Refused(string? cron, string? zone) =>
        Assert.Single(Assert.Throws<DomainValidationException>(() => CronSchedule.Parse(cron, zone)).Errors);

    [Fact]
    public void FiveFields_MondaysAtNineInAmsterdam_NextFireTimesInUtc()
    {
        var schedule = CronSchedule.Parse("0 9 * * 1", "Europe/Amsterdam");

        var times = schedule.NextFireTimes(Utc("2025-03-20T00:00:00Z"));

        // Two Mondays in winter time (UTC+1), then one in summer time (UTC+2).
        Assert.Equal([Utc("2025-03-24T08:00:00Z"), Utc("2025-03-31T07:00:00Z"), Utc("2025-04-07T07:00:00Z")], times);
        Assert.All(times, t => Assert.Equal(DateTimeKind.Utc, t.Kind));
    }

    [Fact]
    public void NoZone_IsUtc()
    {
        var schedule = CronSchedule.Parse("*/15 * * * *", null);

        Assert.Equal("UTC", schedule.Zone.Id);
        Assert.Equal([Utc("2025-01-01T00:15:00Z"), Utc("2025-01-01T00:30:00Z")], schedule.NextFireTimes(Utc("2025-01-01T00:00:00Z"), 2));
    }

    [Fact]
    public void DaylightSaving_SpringForward_SkippedSlotFiresOnceWhenTheClockJumps()
    {
        // 2025-03-30 02:00 CET becomes 03:00 CEST in Amsterdam: 02:30 does not exist that day.
        var schedule = CronSchedule.Parse("30 2 * * *", "Europe/Amsterdam");

        Assert.Equal(
            [Utc("2025-03-29T01:30:00Z"), Utc("2025-03-30T01:00:00Z"), Utc("2025-03-31T00:30:00Z")],
            schedule.NextFireTimes(Utc("2025-03-28T12:00:00Z")));
    }

    [Fact]
    public void DaylightSaving_FallBack_FixedSlotFiresOnlyInTheFirstPass()
    {
        // 2025-10-26 03:00 CEST becomes 02:00 CET: 02:30 happens twice, at 00:30Z and 01:30Z.
        var schedule = CronSchedule.Parse("30 2 * * *", "Europe/Amsterdam");

        Assert.Equal(
            [Utc("2025-10-26T00:30:00Z"), Utc("2025-10-27T01:30:00Z")],
            schedule.NextFireTimes(Utc("2025-10-25T12:00:00Z"), 2));
    }

    [Fact]
    public void DaylightSaving_FallBack_IntervalSlotsFireInBothPasses()
    {
        var schedule = CronSchedule.Parse("*/30 * * * *", "Europe/Amsterdam");

        Assert.Equal(
            [Utc("2025-10-26T00:00:00Z"), Utc("2025-10-26T00:30:00Z"), Utc("2025-10-26T01:00:00Z"), Utc("2025-10-26T01:30:00Z")],
            schedule.NextFireTimes(Utc("2025-10-25T23:45:00Z"), 4));
    }

    [Fact]
    public void DaylightSaving_FixedClock_PlanFiresTheShiftedSlotOnTime()
    {
        var schedule = CronSchedule.Parse("30 2 * * *", "Europe/Amsterdam");
        var now = Utc("2025-03-30T01:00:02Z");

        var plan = schedule.Plan(Utc("2025-03-29T01:30:00Z"), now, MissedFires.Skip);

        Assert.Equal(Utc("2025-03-30T01:00:00Z"), plan.FireTime);
        Assert.Equal(Utc("2025-03-31T00:30:00Z"), plan.NextFireTime);
    }

    [Theory]
    [InlineData("*/10 * * * * *")]
    [InlineData("0,30 * * * * *")]
    [InlineData("5 */2 * * * *")]
    public void SixFields_AtLeastTenSecondsApart_Accepted(string cron)
    {
        Assert.True(CronSchedule.Parse(cron, "UTC").IncludesSeconds);
    }

    [Theory]
    [InlineData("*/5 * * * * *")]
    [InlineData("* * * * * *")]
    // Each minute's gap is 55 s, but 00:55 to 01:00 is 5 s: only stepping across the minute finds it.
    [InlineData("0,55 * * * * *")]
    public void SixFields_CloserThanTenSeconds_Refused(string cron)
    {
        var error = Refused(cron, "UTC");

        Assert.Equal("cron", error.Key);
        Assert.Contains("at least 10 s apart", error.Value, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("* * * *", "has 4")]
    [InlineData("0 0 * * * * *", "has 7")]
    [InlineData("@daily", "5 fields")]
    [InlineData("61 * * * *", "not a valid cron expression")]
    [InlineData("0 0 30 2 *", "never fires")]
    [InlineData("", "field required")]
    public void InvalidCron_RefusedSayingWhy(string cron, string why)
    {
        var error = Refused(cron, "UTC");

        Assert.Equal("cron", error.Key);
        Assert.Contains(why, error.Value, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("not a zone")]
    public void UnknownZone_Refused(string zone)
    {
        var error = Refused("0 9 * * *", zone);

        Assert.Equal("time_zone", error.Key);
        Assert.Contains("IANA", error.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void BadCronAndZone_BothReported()
    {
        var errors = Assert.Throws<DomainValidationException>(() => CronSchedule.Parse("nope", "Nowhere/City")).Errors;

        Assert.Equal(["time_zone", "cron"], errors.Select(e => e.Key));
    }

    [Fact]
    public void Plan_NothingDue_NoFireAndWakesAtTheNextSlot()
    {
        var schedule = CronSchedule.Parse("0 * * * *", "UTC");

        var plan = schedule.Plan(Utc("2025-05-01T10:00:00Z"), Utc("2025-05-01T10:30:00Z"), MissedFires.RunOnce);

        Assert.Null(plan.FireTime);
        Assert.Equal(Utc("2025-05-01T11:00:00Z"), plan.NextFireTime);
    }

    [Theory]
    [InlineData(MissedFires.RunOnce)]
    [InlineData(MissedFires.Skip)]
    public void Plan_SlotOnTime_FiresWhateverThePolicy(string policy)
    {
        var schedule = CronSchedule.Parse("0 * * * *", "UTC");

        var plan = schedule.Plan(Utc("2025-05-01T10:00:00Z"), Utc("2025-05-01T11:00:03Z"), policy);

        Assert.Equal(Utc("2025-05-01T11:00:00Z"), plan.FireTime);
        Assert.Equal(Utc("2025-05-01T12:00:00Z"), plan.NextFireTime);
    }

    [Fact]
    public void Plan_AfterDowntime_RunOnceFiresOnceAtTheLatestMissedSlot()
    {
        var schedule = CronSchedule.Parse("0 * * * *", "UTC");

        var plan = schedule.Plan(Utc("2025-05-01T10:00:00Z"), Utc("2025-05-01T15:20:00Z"), MissedFires.RunOnce);

        Assert.Equal(Utc("2025-05-01T15:00:00Z"), plan.FireTime);
        Assert.Equal(Utc("2025-05-01T16:00:00Z"), plan.NextFireTime);
        // Once that fire is the last one, the missed slots are behind it: nothing more until the next slot.
        Assert.Null(schedule.Plan(plan.FireTime!.Value, Utc("2025-05-01T15:20:01Z"), MissedFires.RunOnce).FireTime);
    }

    [Fact]
    public void Plan_AfterDowntime_SkipFiresNone()
    {
        var schedule = CronSchedule.Parse("0 * * * *", "UTC");

        var plan = schedule.Plan(Utc("2025-05-01T10:00:00Z"), Utc("2025-05-01T15:20:00Z"), MissedFires.Skip);

        Assert.Null(plan.FireTime);
        Assert.Equal(Utc("2025-05-01T16:00:00Z"), plan.NextFireTime);
    }

    [Fact]
    public void Plan_EveryTenSecondsDownForDays_FindsTheLatestSlot()
    {
        var schedule = CronSchedule.Parse("*/10 * * * * *", "UTC");

        var plan = schedule.Plan(Utc("2025-05-01T00:00:00Z"), Utc("2025-05-04T12:34:57Z"), MissedFires.RunOnce);

        Assert.Equal(Utc("2025-05-04T12:34:50Z"), plan.FireTime);
        Assert.Equal(Utc("2025-05-04T12:35:00Z"), plan.NextFireTime);
    }

    [Fact]
    public void Operation_SwitchedOff_SlotsWhileInactiveAreNotMissed()
    {
        var op = new ScheduleTriggerOperation { Name = "n", Cron = "0 * * * *" };
        op.SetStatus(TriggerOperationStatus.Active, Utc("2025-05-01T09:30:00Z"));
        op.LastFireTime = Utc("2025-05-01T10:00:00Z");
        Assert.Equal(Utc("2025-05-01T10:00:00Z"), op.FireSince);

        op.SetStatus(TriggerOperationStatus.Inactive, Utc("2025-05-01T10:10:00Z"));
        Assert.Null(op.FireSince);
        op.SetStatus(TriggerOperationStatus.Active, Utc("2025-05-01T15:20:00Z"));

        Assert.Equal(Utc("2025-05-01T15:20:00Z"), op.FireSince);
        var plan = CronSchedule.Parse(op.Cron, op.TimeZone).Plan(op.FireSince!.Value, Utc("2025-05-01T15:30:00Z"), op.MissedFires);
        Assert.Null(plan.FireTime);
    }
}
