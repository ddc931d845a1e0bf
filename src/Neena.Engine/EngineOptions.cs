using System.Globalization;

namespace Neena.Engine;

/// <summary>Settings of the flow run engine (configuration section <c>Engine</c>).</summary>
public sealed class EngineOptions
{
    public const string SectionName = "Engine";

    /// <summary>When false the engine's hosted service is not registered; the API still accepts and approves runs.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Identifies this instance in <c>flow_runs.lease_owner</c>. Must differ between instances, so the default mixes the
    /// machine name, the process id and a random part (a restarted container may reuse both of the former).
    /// </summary>
    public string InstanceId { get; set; } = DefaultInstanceId();

    /// <summary>Fallback polling for runnable runs; notifications normally wake the engine at once. Polling also finds expired leases.</summary>
    public double PollIntervalSeconds { get; set; } = 5;

    /// <summary>
    /// How long a claim lasts without renewal; leases are renewed every third of it, and a run whose lease has not been
    /// confirmed for two thirds of it is stopped and handed back.
    /// </summary>
    public double LeaseSeconds { get; set; } = 30;

    /// <summary>Runs this instance works on at once.</summary>
    public int MaxConcurrentRuns { get; set; } = 16;

    /// <summary>Tasks this instance executes at once, over all its runs.</summary>
    public int MaxConcurrentTasks { get; set; } = 32;

    /// <summary>Tasks of one run executed at once (independent branches).</summary>
    public int MaxConcurrentTasksPerRun { get; set; } = 4;

    /// <summary>Items a <c>for_each</c> task may have (issue 20); an array with more fails the task with a clear error.</summary>
    public int MaxForEachItems { get; set; } = 1000;

    /// <summary>Time limit of one attempt of one task; a timeout counts as a transient failure.</summary>
    public double TaskTimeoutSeconds { get; set; } = 300;

    /// <summary>Attempts of a task (first try included) before a transient failure fails it.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>
    /// How many times a run may be claimed without the claim ending in good order (a crash, a lost lease, an unexpected
    /// error) before the run fails with the error recorded, instead of being taken over for ever.
    /// </summary>
    public int MaxRunAttempts { get; set; } = 5;

    /// <summary>First retry delay; doubles per attempt, with jitter, up to <see cref="RetryMaxDelayMilliseconds"/>.</summary>
    public double RetryBaseDelayMilliseconds { get; set; } = 500;

    /// <summary>Upper bound of a retry delay. Waiting holds no task slot, and a long wait hands the run back until it is due.</summary>
    public double RetryMaxDelayMilliseconds { get; set; } = 30_000;

    /// <summary>On shutdown, how long running tasks may still finish before they are cancelled and handed back.</summary>
    public double ShutdownGraceSeconds { get; set; } = 10;

    internal TimeSpan PollInterval => TimeSpan.FromSeconds(PollIntervalSeconds);
    internal TimeSpan LeaseDuration => TimeSpan.FromSeconds(LeaseSeconds);
    internal TimeSpan RenewInterval => TimeSpan.FromSeconds(LeaseSeconds / 3);

    /// <summary>
    /// A run whose lease was last confirmed this long ago is stopped and handed back: two thirds of the lease, so that work
    /// stops well before the lease expires and another instance may take the run over.
    /// </summary>
    internal TimeSpan LeaseSafetyLimit => TimeSpan.FromSeconds(LeaseSeconds * 2 / 3);

    /// <summary>How long a renewal may take before it counts as failed: a sixth of the lease, at most five seconds.</summary>
    internal TimeSpan RenewTimeout => TimeSpan.FromSeconds(Math.Min(LeaseSeconds / 6, 5));

    /// <summary>
    /// A run whose only ready work is a retry due within this time keeps its lease and waits; a longer wait hands the run
    /// back (parked until the retry is due), so it occupies nothing meanwhile.
    /// </summary>
    internal TimeSpan RetryHoldLimit => RenewInterval;

    /// <summary>How often leases are checked against <see cref="LeaseSafetyLimit"/>.</summary>
    internal TimeSpan LeaseCheckInterval => TimeSpan.FromSeconds(LeaseSeconds / 12);
    internal TimeSpan TaskTimeout => TimeSpan.FromSeconds(TaskTimeoutSeconds);
    internal TimeSpan ShutdownGrace => TimeSpan.FromSeconds(ShutdownGraceSeconds);

    /// <summary>A copy, so a test or a second instance can change settings without touching the shared options.</summary>
    public EngineOptions Clone() => (EngineOptions)MemberwiseClone();

    /// <summary>Describes the first invalid setting, or null when all are usable.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(InstanceId) || InstanceId.Length > 200)
            return "Engine:InstanceId must be 1 to 200 characters.";
        if (!(PollIntervalSeconds > 0))
            return "Engine:PollIntervalSeconds must be positive.";
        if (!(LeaseSeconds >= 1))
            return "Engine:LeaseSeconds must be at least 1.";
        if (MaxConcurrentRuns < 1 || MaxConcurrentTasks < 1 || MaxConcurrentTasksPerRun < 1)
            return "Engine:MaxConcurrentRuns, MaxConcurrentTasks and MaxConcurrentTasksPerRun must be at least 1.";
        if (MaxForEachItems < 0)
            return "Engine:MaxForEachItems must be at least 0.";
        if (!(TaskTimeoutSeconds > 0))
            return "Engine:TaskTimeoutSeconds must be positive.";
        if (MaxAttempts < 1)
            return "Engine:MaxAttempts must be at least 1.";
        if (MaxRunAttempts < 1)
            return "Engine:MaxRunAttempts must be at least 1.";
        if (!(RetryBaseDelayMilliseconds >= 0) || !(RetryMaxDelayMilliseconds >= RetryBaseDelayMilliseconds))
            return "Engine:RetryBaseDelayMilliseconds must be non-negative and at most Engine:RetryMaxDelayMilliseconds.";
        if (!(ShutdownGraceSeconds >= 0))
            return "Engine:ShutdownGraceSeconds must be non-negative.";
        return null;
    }

    internal static string DefaultInstanceId()
    {
        var machine = Environment.MachineName;
        if (machine.Length > 100)
            machine = machine[..100];
        return string.Create(CultureInfo.InvariantCulture, $"{machine}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}");
    }
}
