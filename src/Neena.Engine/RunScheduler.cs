using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Neena.Domain.FlowRuns;
using Neena.Persistence.FlowRuns;

namespace Neena.Engine;

/// <summary>
/// The scheduling of one claimed run: starts its ready tasks (bounded per run; the instance's task gate bounds the rest),
/// applies each attempt's outcome to its copy of the task runs, waits for retries or parks the run when they are far, and
/// finishes the run as <see cref="TaskRunStateMachine.Outcome"/> says. One attempt of a task is <see cref="TaskAttempt"/>'s.
/// </summary>
internal sealed partial class RunScheduler(RunWorker worker, EngineRuntime rt)
{
    private readonly TaskAttempt _attempts = new(worker, rt);
    private readonly ApprovalStep _approvals = new(worker, rt);

    /// <summary>Runs the scheduling loop; true when the run reached a final state, was parked, or is no longer ours to finish.</summary>
    public async Task<bool> ExecuteAsync(RunSnapshot snapshot, CancellationToken token)
    {
        var retryDelays = snapshot.RetryDelays;
        var tasks = snapshot.Tasks;
        await _approvals.ExpireAsync(tasks, token);
        var byIndex = tasks.ToDictionary(t => t.TaskOperationIndex);
        var running = new Dictionary<Task<TaskOutcome>, TaskRun>();
        var failed = tasks.Any(TaskDecisions.StopsRun);
        var request = new RequestValues(snapshot.Request.Instructions, snapshot.Request.Name, snapshot.Request.Metadata);
        // Tasks waiting for a retry, with when they come due (Stopwatch timestamps; the delays came from the database's clock).
        var loadedAt = Stopwatch.GetTimestamp();
        var dueAt = retryDelays.ToDictionary(d => d.Key, d => loadedAt + ToStopwatchTicks(d.Value));
        using var draining = CancellationTokenSource.CreateLinkedTokenSource(token, rt.Draining);

        while (true)
        {
            var nearest = TimeSpan.MaxValue;
            if (!failed && !draining.IsCancellationRequested && !await SkipDecidedAsync(tasks, byIndex, running, request, token))
                continue; // the lease is lost: the worker is stopping, and the attempts still running see it
            if (!failed && !draining.IsCancellationRequested)
            {
                var ready = TaskRunStateMachine.Ready(tasks, byIndex, running.ContainsValue, request);
                foreach (var task in ready)
                {
                    if (dueAt.TryGetValue(task.Id, out var due))
                    {
                        var remaining = -Stopwatch.GetElapsedTime(due);
                        if (remaining > TimeSpan.Zero)
                        {
                            nearest = remaining < nearest ? remaining : nearest;
                            continue; // backing off: it holds no slot meanwhile
                        }
                    }
                    if (ApprovalStep.Handles(task, snapshot))
                    {
                        if (!await _approvals.AskAsync(task, token))
                            break; // the lease is lost: the worker is stopping
                        continue; // waiting holds no slot
                    }
                    if (running.Count >= rt.Options.MaxConcurrentTasksPerRun)
                        break;
                    dueAt.Remove(task.Id);
                    // The executing task gets copies: this loop keeps the authoritative state and is the only one changing it.
                    var view = tasks.Select(TaskAttempt.Copy).ToList();
                    running.Add(_attempts.RunAsync(TaskAttempt.Copy(task), view, snapshot, token, deferCompletion: DefersCompletion(task, tasks)), task);
                }
            }

            if (running.Count == 0)
            {
                // Only tasks waiting for an answer (and maybe for a retry) are left: the run waits parked.
                var waiting = !failed && !draining.IsCancellationRequested && ApprovalStep.AnyWaiting(tasks);
                if (nearest == TimeSpan.MaxValue && !waiting)
                    break;
                if (waiting && nearest > rt.Options.RetryHoldLimit)
                    return await _approvals.ParkAsync(token);
                // Only tasks waiting for a retry are left.
                if (nearest > rt.Options.RetryHoldLimit)
                    return await ParkAsync(nearest, token);
                await DelayAsync(nearest, draining.Token);
                continue;
            }

            var next = Task.WhenAny(running.Keys);
            if (nearest != TimeSpan.MaxValue && await Task.WhenAny(next, Task.Delay(nearest, draining.Token)) != next)
                continue; // a waiting task came due (or the run is stopping): look again

            var done = await next;
            var finishedTask = running[done];
            running.Remove(done);
            var outcome = await done; // never throws: the attempt turns every error into an outcome
            if (outcome.Unwritten is not null)
            {
                outcome = await CompleteChainedAsync(finishedTask, outcome,
                    new ChainState(tasks, byIndex, running, dueAt, request, snapshot, Open: !failed && !draining.IsCancellationRequested), token);
            }
            switch (outcome.Kind)
            {
                case OutcomeKind.Completed:
                    finishedTask.Status = TaskRunStateMachine.Complete.To;
                    finishedTask.Result = outcome.Result;
                    finishedTask.Error = null;
                    break;
                case OutcomeKind.Failed:
                    finishedTask.Status = TaskRunStateMachine.Fail.To;
                    finishedTask.Error = outcome.Error;
                    // Start nothing more (tasks already running may finish), unless the operation tolerates its failure.
                    failed |= TaskDecisions.StopsRun(finishedTask);
                    break;
                case OutcomeKind.RetryLater:
                    finishedTask.Status = TaskRunStateMachine.ScheduleRetry.To;
                    finishedTask.Error = outcome.Error;
                    dueAt[finishedTask.Id] = Stopwatch.GetTimestamp() + ToStopwatchTicks(outcome.RetryDelay);
                    break;
                default:
                    break; // stopped: the stop reason ends the loop once nothing runs
            }
            finishedTask.Attempt = Math.Max(finishedTask.Attempt, outcome.Attempt);
        }

        if (worker.Reason != StopReason.None || token.IsCancellationRequested)
            return worker.Reason == StopReason.Abandon;

        var ending = TaskRunStateMachine.Outcome(tasks);
        if (ending.Blocked && rt.Draining.IsCancellationRequested)
            return false; // shutting down between tasks: hand the rest over
        // Blocked otherwise is only possible with inconsistent rows (a dependency neither done nor runnable): do not spin on it.
        var (status, message) = (ending.Status, ending.Message);

        if (await rt.Lease.FinishRunAsync(worker.RunId, status, message, token))
        {
            rt.Metrics.RunFinished(status);
            rt.Logger.LogInformation("Run {RunId} finished: {Status}", worker.RunId, status);
        }
        else
        {
            rt.Logger.LogInformation("Run {RunId} was cancelled or taken over before it could finish; nothing written", worker.RunId);
        }
        return true;
    }

    /// <summary>
    /// Ends every task that its edges decided not to run, until none is left (a skip can decide the tasks after it). False
    /// when the lease was lost: the worker is stopped, so nothing more starts.
    /// </summary>
    private async Task<bool> SkipDecidedAsync(
        List<TaskRun> tasks, Dictionary<int, TaskRun> byIndex, Dictionary<Task<TaskOutcome>, TaskRun> running, RequestValues request, CancellationToken token)
    {
        while (TaskRunStateMachine.Skippable(tasks, byIndex, running.ContainsValue, request) is { Count: > 0 } skipped)
        {
            foreach (var task in skipped)
            {
                try
                {
                    await rt.Lease.SkipTaskAsync(worker.RunId, task.Id, token);
                }
                catch (LeaseLostException)
                {
                    rt.Logger.LogInformation("Run {RunId} lost its lease while skipping task {Index}", worker.RunId, task.TaskOperationIndex);
                    worker.Stop(StopReason.Abandon);
                    return false;
                }
                task.Status = TaskRunStateMachine.Skip.To;
            }
        }
        return true;
    }

    /// <summary>
    /// Gives the run back until its waiting tasks come due, so it holds neither a lease nor a place among this instance's
    /// runs meanwhile; the claim skips it until then and the engines' timers pick it up when the time comes.
    /// </summary>
    private async Task<bool> ParkAsync(TimeSpan nearest, CancellationToken token)
    {
        if (await rt.Lease.ParkAsync(worker.RunId, token))
        {
            rt.Logger.LogInformation("Run {RunId} waits {Delay} ms for a retry; handed back until then", worker.RunId, (long)nearest.TotalMilliseconds);
        }
        else
        {
            rt.Logger.LogInformation("Run {RunId} was cancelled or taken over before it could be handed back", worker.RunId);
        }
        return true;
    }

    private static async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping or draining: the loop sees it.
        }
    }

    private static long ToStopwatchTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
