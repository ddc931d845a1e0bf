using Microsoft.Extensions.Logging;
using Neena.Agent.Preparation;
using Neena.Domain.FlowRuns;
using Neena.Persistence.FlowRuns;

namespace Neena.Engine;

/// <summary>A task's side of chained starts (see <see cref="RunScheduler"/>): preparing ahead of a start, and writing a deferred completion.</summary>
internal sealed partial class TaskAttempt
{
    /// <summary>
    /// Prepares <paramref name="task"/> (a copy) for a start chained to a completion, or null when its preparation is
    /// not local (see <see cref="PrepareLocally"/>) or fails: the scheduler then starts it the usual way.
    /// </summary>
    public async Task<PreparedTask?> PrepareForChainAsync(TaskRun task, List<TaskRun> view, RunSnapshot snapshot, CancellationToken token)
    {
        if (PrepareLocally(task, snapshot) is not { } definition)
            return null;
        try
        {
            return await rt.Preparer.PrepareAsync(Preparation(task, view, snapshot, definition), token);
        }
        catch (Exception)
        {
            // The usual start prepares it again and records the failure as the task's (or sees the run stopping).
            return null;
        }
    }

    /// <summary>
    /// Writes a completion the attempt left to the scheduler, with the starts of <paramref name="starts"/> in the same round
    /// trip. Returns the outcome (as the attempt would have: a failed write is classified and recorded) and, when the
    /// write succeeded, each start's attempt and start time.
    /// </summary>
    public async Task<(TaskOutcome Outcome, List<(int Attempt, DateTime StartTime)>? Started)> CompleteAsync(
        TaskOutcome outcome, IReadOnlyList<ChainedStart> starts, CancellationToken token)
    {
        var (task, clock) = outcome.Unwritten ?? throw new ArgumentException("The completion was written already.", nameof(outcome));
        try
        {
            var started = await rt.Lease.CompleteAndStartAsync(worker.RunId, task.Id, outcome.Result, starts, token);
            rt.Metrics.TaskFinished(TaskRunStateMachine.Complete.To, clock.Elapsed);
            rt.Logger.LogInformation("Task {TaskRunId} ({Operation}) completed on attempt {Attempt}", task.Id, task.OperationName, task.Attempt);
            return (outcome with { Unwritten = null }, started);
        }
        catch (Exception ex)
        {
            var error = TaskErrors.Classify(ex, timedOut: false, rt.Options.TaskTimeoutSeconds, token);
            if (error.Unexpected)
                rt.Logger.LogError(ex, "Task {TaskRunId} failed with an unexpected error", task.Id);
            return (await RecordAsync(task, error, started: true, clock, token), null);
        }
    }
}
