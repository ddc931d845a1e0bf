using Microsoft.Extensions.Options;
using Neena.Domain.Common;
using Neena.Domain.Triggers;
using Neena.Persistence;
using Neena.Persistence.Triggers;
using Npgsql;

namespace Neena.Api.Workers;

/// <summary>Settings of the scheduler (configuration section <c>Schedules</c>).</summary>
public sealed class ScheduleOptions
{
    public const string SectionName = "Schedules";

    /// <summary>Run the scheduler in this process. Any number of instances may: each slot still fires once.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The longest the scheduler sleeps between looks, even when the next fire is further away: it re-reads the schedules and
    /// the database clock (a missed notification, clock drift).
    /// </summary>
    public double MaxSleepSeconds { get; set; } = 60;

    internal TimeSpan MaxSleep => TimeSpan.FromSeconds(MaxSleepSeconds);
}

/// <summary>
/// Fires the organizations' schedules (§11). It reads every active schedule, plans each with
/// <see cref="CronSchedule.Plan"/> on the database's clock (which all instances share), fires everything due in one statement
/// (<see cref="ScheduleFires.FireAsync"/>: the schedules' row locks and the unique (schedule, fire time) key make each slot
/// exactly once across instances), and sleeps until the nearest next slot, at most <see cref="ScheduleOptions.MaxSleep"/>. A created, changed or
/// deleted schedule wakes it at once (LISTEN). The fired trigger runs are processed by <see cref="TriggerRunProcessor"/> like
/// a webhook's, which the fire's NOTIFY wakes.
/// </summary>
public sealed class ScheduleTriggerScheduler(
    NpgsqlDataSource dataSource,
    NotificationHub hub,
    IOptions<ScheduleOptions> options,
    ILogger<ScheduleTriggerScheduler> logger) : BackgroundService
{
    private static readonly TimeSpan FailureDelay = TimeSpan.FromSeconds(5);

    private readonly ScheduleOptions _options = options.Value;
    private readonly WakeSignal _wake = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Parsing checks a 6-field expression's spacing by stepping it: done once per expression, not at every pass.
    private readonly Dictionary<(string Cron, string TimeZone), CronSchedule?> _parsed = [];

    /// <summary>Completes once the notification listener is connected.</summary>
    public Task Listening => _listening.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            logger.LogInformation("The scheduler is disabled (Schedules:Enabled = false)");
            return;
        }

        await Task.Yield();
        var listener = hub.ListenAsync(
            [ScheduleNotifications.Changed],
            (_, _) => _wake.Wake(),
            () =>
            {
                _listening.TrySetResult();
                _wake.Wake(); // changes made while not listening were announced to nobody: look once
            },
            stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                TimeSpan sleep;
                try
                {
                    sleep = await PassAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
                {
                    logger.LogWarning(ex, "Scheduling failed; trying again in {Delay} s", FailureDelay.TotalSeconds);
                    sleep = FailureDelay;
                }
                // Until the nearest slot (a little after, so that it is due by the database's clock too) or a wake-up.
                await _wake.WaitAsync(_options.MaxSleep, sleep, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Graceful stop.
        }
        finally
        {
            await listener;
        }
    }

    /// <summary>Fires what is due now; returns how long to sleep until the nearest next slot (bounded).</summary>
    private async Task<TimeSpan> PassAsync(CancellationToken cancellationToken)
    {
        var (schedules, now) = await ScheduleFires.ActiveAsync(dataSource, cancellationToken);
        var sleep = _options.MaxSleep;
        var due = new List<DueFire>();
        foreach (var schedule in schedules)
        {
            if (Parse(schedule) is not { } cron)
            {
                // Stored valid; a zone the host no longer knows cannot be planned. Its readers see it without next fire times.
                logger.LogWarning("Schedule {ScheduleId} cannot be planned: its cron or time zone is no longer valid here", schedule.Id);
                continue;
            }
            var plan = cron.Plan(schedule.Since, now, schedule.MissedFires);
            if (plan.FireTime is { } fire)
                due.Add(new DueFire(schedule.Id, fire, ScheduleFire.Values(fire, schedule.Name).ToJsonString()));
            if (plan.NextFireTime is { } next && next - now < sleep)
                sleep = next - now;
        }
        foreach (var fired in await ScheduleFires.FireAsync(dataSource, due, cancellationToken))
            logger.LogInformation("Schedule {ScheduleId} fired for {FireTime:o} as trigger run {TriggerRunId}", fired.ScheduleId, fired.FireTime, fired.TriggerRunId);
        return sleep < TimeSpan.Zero ? TimeSpan.Zero : sleep;
    }

    private CronSchedule? Parse(DueSchedule schedule)
    {
        if (_parsed.TryGetValue((schedule.Cron, schedule.TimeZone), out var known))
            return known;
        CronSchedule? parsed;
        try
        {
            parsed = CronSchedule.Parse(schedule.Cron, schedule.TimeZone);
        }
        catch (DomainValidationException)
        {
            parsed = null;
        }
        if (_parsed.Count > 10_000)
            _parsed.Clear();
        return _parsed[(schedule.Cron, schedule.TimeZone)] = parsed;
    }
}
