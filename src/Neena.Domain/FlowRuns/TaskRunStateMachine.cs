namespace Neena.Domain.FlowRuns;

/// <summary>
/// A legal change of a task run's state: from one of <paramref name="From"/> to <paramref name="To"/>. The engine applies
/// it to its copy of the task run, and <c>Neena.Persistence.FlowRuns.RunLease</c> writes its SQL condition from it.
/// </summary>
public sealed record TaskRunTransition(string Verb, IReadOnlyList<string> From, string To)
{
    public bool Allows(string status) => From.Contains(status);
}

/// <summary>How the engine ends a run, given its task runs (<see cref="TaskRunStateMachine.Outcome"/>).</summary>
/// <param name="Status">The run's final status: <c>completed</c> or <c>failed</c>.</param>
/// <param name="Message">The flow result's message when no task failed although the run did; else null.</param>
/// <param name="Blocked">No task failed and not all completed: some could not run (a dependency neither done nor runnable).</param>
public sealed record RunOutcome(string Status, string? Message, bool Blocked);

/// <summary>
/// The task-run lifecycle's rules: the engine's transitions of a task run, which task runs are ready, how a run ends given
/// its task runs, and what an attempt that finds its task in progress means. Task runs share the run statuses
/// (<see cref="RunStatus"/>): <c>pending</c> (not started, or waiting for a retry), <c>in_progress</c>, and the three final ones.
/// </summary>
public static class TaskRunStateMachine
{
    /// <summary>The state a task run is created in, when its run is approved.</summary>
    public const string Created = RunStatus.Pending;

    /// <summary>
    /// A retried run's task runs that did not complete start over; completed ones are kept. Failed ones re-run, tolerated
    /// failures (continue_on_failure) too, since the cause may be fixed now; skipped ones are decided again, because a skip
    /// decided from a failed source may no longer hold once that source re-runs (a skip from a kept source decides the same).
    /// </summary>
    public static readonly TaskRunTransition Resume =
        new("resumed", [RunStatus.Pending, RunStatus.InProgress, RunStatus.Failed, RunStatus.Cancelled, TaskRunStatus.Waiting, TaskRunStatus.Skipped], RunStatus.Pending);

    /// <summary>An attempt starts: an open task (pending, or in progress when a previous owner of the run was interrupted).</summary>
    public static readonly TaskRunTransition Start = new("started", RunStateMachine.OpenStatuses, RunStatus.InProgress);

    /// <summary>An attempt failed transiently: pending again, waiting for its next attempt.</summary>
    public static readonly TaskRunTransition ScheduleRetry = new("retried later", [RunStatus.InProgress], RunStatus.Pending);

    /// <summary>An attempt was interrupted (shutdown, lease at risk): pending again, as if it had not started.</summary>
    public static readonly TaskRunTransition HandBack = new("handed back", [RunStatus.InProgress], RunStatus.Pending);

    /// <summary>An attempt succeeded.</summary>
    public static readonly TaskRunTransition Complete = new("completed", [RunStatus.InProgress], RunStatus.Completed);

    /// <summary>The task failed for good (it may not even have started: a task interrupted too often fails before its start).</summary>
    public static readonly TaskRunTransition Fail = new("failed", RunStateMachine.OpenStatuses, RunStatus.Failed);

    /// <summary>Ending a run cancels its open task runs.</summary>
    public static readonly TaskRunTransition Cancel = new("cancelled", [.. RunStateMachine.OpenStatuses, TaskRunStatus.Waiting], RunStatus.Cancelled);

    /// <summary>
    /// Its incoming edges decided it does not run (issue 20): it ends without an attempt.
    /// </summary>
    public static readonly TaskRunTransition Skip = new("skipped", [RunStatus.Pending], TaskRunStatus.Skipped);

    /// <summary>
    /// An approval step starts and asks a person (issue 20): one write from open to <c>waiting</c>, so the step is never
    /// seen in progress. It holds no task slot, and the run parks holding no lease while nothing else runs.
    /// </summary>
    public static readonly TaskRunTransition Wait = new("waiting", RunStateMachine.OpenStatuses, TaskRunStatus.Waiting);

    /// <summary>A person approved a waiting approval step (issue 20): <c>PUT /flow_runs/approve_task</c>.</summary>
    public static readonly TaskRunTransition Approve = new("approved", [TaskRunStatus.Waiting], RunStatus.Completed);

    /// <summary>A person rejected a waiting approval step (<c>reject_task</c>), or it timed out (the engine, when the run comes due).</summary>
    public static readonly TaskRunTransition Reject = new("rejected", [TaskRunStatus.Waiting], RunStatus.Failed);

    /// <summary>The message of a run that failed because some tasks could not run.</summary>
    public const string BlockedMessage = "The run failed: some tasks could not run because a task they depend on did not complete.";

    public static bool IsCompleted(TaskRun task) => task?.Status == RunStatus.Completed;

    public static bool IsFailed(TaskRun task) => task is not null && TaskRunConditions.Failed.Matches(task.Status, retryScheduled: false);

    /// <summary>
    /// The ready task runs that are not <paramref name="running"/> already, in the flow's order (<c>sorted_index</c>): open,
    /// every source ended and the join met (<see cref="TaskDecisions.Decide"/>; without issue 20's fields: every source completed).
    /// </summary>
    public static List<TaskRun> Ready(IEnumerable<TaskRun> tasks, IReadOnlyDictionary<int, TaskRun> byIndex, Func<TaskRun, bool> running, RequestValues request)
    {
        ArgumentNullException.ThrowIfNull(running);
        return [.. tasks.Where(t => !running(t) && TaskDecisions.Decide(t, byIndex, request) == TaskDecision.Run).OrderBy(t => t.SortedIndex)];
    }

    /// <summary>The open task runs whose edges decided they do not run (<see cref="Skip"/>), in the flow's order.</summary>
    public static List<TaskRun> Skippable(IEnumerable<TaskRun> tasks, IReadOnlyDictionary<int, TaskRun> byIndex, Func<TaskRun, bool> running, RequestValues request)
    {
        ArgumentNullException.ThrowIfNull(running);
        return [.. tasks.Where(t => Skip.Allows(t.Status) && !running(t) && TaskDecisions.Decide(t, byIndex, request) == TaskDecision.Skip).OrderBy(t => t.SortedIndex)];
    }

    /// <summary>
    /// How a run ends once nothing more can start: failed when a task failed without <c>continue_on_failure</c>; completed
    /// when every task completed, was skipped or failed tolerated; otherwise failed as <see cref="RunOutcome.Blocked"/>
    /// (tasks that could not run).
    /// </summary>
    public static RunOutcome Outcome(IReadOnlyCollection<TaskRun> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (tasks.Any(TaskDecisions.StopsRun))
            return new RunOutcome(RunStatus.Failed, null, Blocked: false);
        return tasks.All(TaskDecisions.HasEnded)
            ? new RunOutcome(RunStatus.Completed, null, Blocked: false)
            : new RunOutcome(RunStatus.Failed, BlockedMessage, Blocked: true);
    }

    /// <summary>
    /// Found in progress when an attempt is about to start: an earlier owner of the run died or lost its lease while the
    /// task ran.
    /// </summary>
    public static bool WasInterrupted(TaskRun task) => task?.Status == RunStatus.InProgress;

    /// <summary>
    /// Interrupted (<see cref="WasInterrupted"/>) with all its attempts used: a task that brings instances down is not
    /// attempted again, it fails.
    /// </summary>
    public static bool InterruptedTooOften(TaskRun task, int maxAttempts) => WasInterrupted(task) && task.Attempt >= maxAttempts;
}
