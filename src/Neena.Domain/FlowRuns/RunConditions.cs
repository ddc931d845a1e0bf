namespace Neena.Domain.FlowRuns;

/// <summary>
/// A named condition on a run's row: its status is one of <paramref name="Statuses"/> and, when set, whether an approval
/// decision exists (<c>approval_status</c> not null), whether it was retried (<c>retry_count</c> above 0), and whether it
/// waits for a person (<paramref name="WaitsForPerson"/>: no approval decision yet, or one of its task runs is an approval
/// step waiting for an answer, issue 20). The C# form is <see cref="Matches"/>; <c>Neena.Persistence.FlowRuns.RunConditionSql</c>
/// writes the SQL form of the same definition, and a test checks that the two agree on every state.
/// </summary>
public sealed record RunCondition(string Name, IReadOnlyList<string> Statuses, bool? Decided = null, bool? Retried = null, bool? WaitsForPerson = null)
{
    /// <param name="awaitingAnswer">Some task run of the run is <c>waiting</c> (<see cref="TaskRunConditions.AwaitingAnswer"/>).</param>
    public bool Matches(string status, string? approvalStatus, int retryCount, bool awaitingAnswer = false) =>
        Statuses.Contains(status)
        && (Decided is null || Decided == (approvalStatus is not null))
        && (Retried is null || Retried == (retryCount > 0))
        && (WaitsForPerson is null || WaitsForPerson == (approvalStatus is null || awaitingAnswer));
}

/// <summary>The conditions on runs that code asks for by name instead of restating a status rule.</summary>
public static class RunConditions
{
    /// <summary>Not ended: see <see cref="RunStateMachine.OpenStatuses"/>.</summary>
    public static readonly RunCondition Open = new("open", RunStateMachine.OpenStatuses);

    /// <summary>Ended, with exactly one flow result.</summary>
    public static readonly RunCondition Finished = new("finished", [RunStatus.Completed, RunStatus.Failed, RunStatus.Cancelled]);

    /// <summary>Created and waiting for a person's approval or rejection.</summary>
    public static readonly RunCondition AwaitingApproval = new("awaiting approval", [RunStatus.Pending], Decided: false);

    /// <summary>What the engine claims: approved runs in progress (the lease decides which of them are free).</summary>
    public static readonly RunCondition Claimable = new("claimable", [RunStatus.InProgress]);

    /// <summary>Ended failed.</summary>
    public static readonly RunCondition FailedRun = new("failed", [RunStatus.Failed]);

    /// <summary>
    /// The runs that may name a failed task (<see cref="TaskRunConditions.FailedTaskOf"/>): failed ones, and completed ones
    /// whose failures were tolerated (<c>continue_on_failure</c>, issue 20); a completed run without one names none.
    /// </summary>
    public static readonly RunCondition WithFailedTask = new("with a failed task", [RunStatus.Failed, RunStatus.Completed]);

    public static readonly IReadOnlyList<RunCondition> All = [Open, Finished, AwaitingApproval, Claimable, FailedRun, WithFailedTask];
}

/// <summary>
/// The states of analytics (seed 003), each a condition on a run: waiting for a person (awaiting approval, or at an
/// approval step, issue 20) = <c>PAUSED</c>, otherwise approved and unfinished = <c>PENDING</c>, unfinished after a retry
/// = <c>RESUMED</c>, and the three endings. Every run is in exactly one.
/// </summary>
public static class AnalyticsState
{
    public const string Pending = "PENDING";
    public const string Paused = "PAUSED";
    public const string Resumed = "RESUMED";
    public const string Completed = "COMPLETED";
    public const string Failed = "FAILED";
    public const string Cancelled = "CANCELLED";

    public static readonly IReadOnlyList<string> All = [Pending, Paused, Resumed, Completed, Failed, Cancelled];

    /// <summary>Each state's condition, in the order <see cref="All"/> lists the states.</summary>
    public static readonly IReadOnlyDictionary<string, RunCondition> Conditions = new Dictionary<string, RunCondition>(StringComparer.Ordinal)
    {
        [Pending] = new(Pending, RunStateMachine.OpenStatuses, Decided: true, Retried: false, WaitsForPerson: false),
        [Paused] = new(Paused, RunStateMachine.OpenStatuses, WaitsForPerson: true),
        [Resumed] = new(Resumed, RunStateMachine.OpenStatuses, Decided: true, Retried: true, WaitsForPerson: false),
        [Completed] = new(Completed, [RunStatus.Completed]),
        [Failed] = new(Failed, [RunStatus.Failed]),
        [Cancelled] = new(Cancelled, [RunStatus.Cancelled]),
    };

    /// <summary>The state of a run with this status, approval and number of retries, and whether a task run of it waits for an answer.</summary>
    /// <exception cref="InvalidOperationException">The row is in no state (an open run in progress without approval cannot exist).</exception>
    public static string Of(string status, string? approval, int retries, bool awaitingAnswer = false) =>
        All.FirstOrDefault(s => Conditions[s].Matches(status, approval, retries, awaitingAnswer))
        ?? throw new InvalidOperationException($"A run that is {status} with approval '{approval}' has no analytics state.");
}

/// <summary>
/// A named condition on a task run's row: its status is one of <paramref name="Statuses"/> and, when set, whether a
/// retry is scheduled (<c>next_attempt_at</c> not null). SQL form: <c>Neena.Persistence.FlowRuns.RunConditionSql</c>.
/// </summary>
public sealed record TaskRunCondition(string Name, IReadOnlyList<string> Statuses, bool? RetryScheduled = null)
{
    public bool Matches(string status, bool retryScheduled) =>
        Statuses.Contains(status) && (RetryScheduled is null || RetryScheduled == retryScheduled);

    public bool Matches(TaskRun task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Matches(task.Status, task.NextAttemptAt is not null);
    }
}

/// <summary>The conditions on task runs that code asks for by name.</summary>
public static class TaskRunConditions
{
    /// <summary>Failed an attempt and waits for its next one (it holds no task slot meanwhile).</summary>
    public static readonly TaskRunCondition WaitingForRetry = new("waiting for retry", [RunStatus.Pending], RetryScheduled: true);

    /// <summary>
    /// What may be a run's failed task: only a failed run (or a completed one with a tolerated failure) has one, the failed task run with the lowest operation index
    /// (<see cref="FailedTaskOf"/>).
    /// </summary>
    public static readonly TaskRunCondition Failed = new("failed", [RunStatus.Failed]);

    /// <summary>
    /// Ended with a result: the only task runs whose result a later task may read (preparation's completed ancestors,
    /// <c>{{tasks.N.result}}</c> bindings).
    /// </summary>
    public static readonly TaskRunCondition Completed = new("completed", [RunStatus.Completed]);

    /// <summary>Ended for good: a skipped task run has ended too, and so has every task on its branch that it decided.</summary>
    public static readonly TaskRunCondition Finished =
        new("finished", [RunStatus.Completed, RunStatus.Failed, RunStatus.Cancelled, TaskRunStatus.Skipped]);

    /// <summary>An approval step waiting for its answer: it holds no task slot, and its run holds no engine slot or lease.</summary>
    public static readonly TaskRunCondition AwaitingAnswer = new("awaiting answer", [TaskRunStatus.Waiting]);

    public static readonly IReadOnlyList<TaskRunCondition> All = [WaitingForRetry, Failed, Completed, Finished, AwaitingAnswer];

    /// <summary>
    /// The run's failed task among its task runs ordered by operation index; none unless the run failed or completed with a
    /// tolerated failure. A failure that stopped the run comes before any tolerated one (<c>continue_on_failure</c>), whatever
    /// their indexes: a failed run names what failed it, a completed run (whose failures were all tolerated) the lowest one.
    /// </summary>
    public static T? FailedTaskOf<T>(string runStatus, IEnumerable<T> tasksByIndex, Func<T, string> status, Func<T, bool> tolerated) where T : class =>
        RunConditions.WithFailedTask.Statuses.Contains(runStatus)
            ? tasksByIndex.Where(t => Failed.Matches(status(t), retryScheduled: false)).OrderBy(tolerated).FirstOrDefault()
            : null;
}
