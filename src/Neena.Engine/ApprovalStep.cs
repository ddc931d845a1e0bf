using Microsoft.Extensions.Logging;
using Neena.Domain.FlowRuns;
using Neena.Persistence.FlowRuns;

namespace Neena.Engine;

/// <summary>
/// The engine's side of approval steps (issue 20): when a run reaches the core task <c>Approval</c>, the task run becomes
/// <c>waiting</c> (no attempt, no task slot); the run's other ready tasks go on, and once nothing else runs the run is
/// parked with no lease and no engine slot until an answer (<c>approve_task</c>/<c>reject_task</c>, which clears its due
/// time and wakes the engines) or the step's timeout (its due time) brings it back.
/// </summary>
internal sealed class ApprovalStep(RunWorker worker, EngineRuntime rt)
{
    /// <summary>Whether the task is an approval step, which the scheduler asks a person for instead of attempting.</summary>
    public static bool Handles(TaskRun task, RunSnapshot snapshot) =>
        snapshot.Definitions.TryGetValue(task.TaskDefinitionId, out var definition) && definition.PythonMethodName == ApprovalSteps.MethodName;

    /// <summary>Some task of the run waits for an answer.</summary>
    public static bool AnyWaiting(IEnumerable<TaskRun> tasks) => tasks.Any(t => TaskRunConditions.AwaitingAnswer.Matches(t.Status, retryScheduled: false));

    /// <summary>Starts the step: <c>waiting</c> until answered or timed out. False when the lease was lost (the worker is stopped).</summary>
    public async Task<bool> AskAsync(TaskRun task, CancellationToken token)
    {
        try
        {
            task.StartTime = await rt.Lease.WaitForAnswerAsync(worker.RunId, task.Id, ApprovalSteps.Timeout(task.Parameters), token);
        }
        catch (LeaseLostException)
        {
            rt.Logger.LogInformation("Run {RunId} lost its lease while starting approval step {Index}", worker.RunId, task.TaskOperationIndex);
            worker.Stop(StopReason.Abandon);
            return false;
        }
        task.Status = TaskRunStateMachine.Wait.To;
        task.Attempt++;
        rt.Logger.LogInformation("Run {RunId}: approval step {TaskRunId} waits for an answer", worker.RunId, task.Id);
        return true;
    }

    /// <summary>
    /// Fails the steps whose timeout has passed ("Approval timed out"), on the scheduler's copy too; done when the run is
    /// claimed, which the parked run's due time (the nearest timeout) makes happen.
    /// </summary>
    public async Task ExpireAsync(IReadOnlyList<TaskRun> tasks, CancellationToken token)
    {
        if (!AnyWaiting(tasks))
            return;
        var expired = await rt.Lease.ExpireAnswersAsync(worker.RunId, token);
        foreach (var task in tasks.Where(t => expired.Contains(t.Id)))
        {
            task.Status = TaskRunStateMachine.Reject.To;
            task.Error = ApprovalSteps.TimedOut;
            rt.Logger.LogInformation("Run {RunId}: approval step {TaskRunId} timed out", worker.RunId, task.Id);
        }
    }

    /// <summary>Hands the run back until an answer or the nearest timeout or retry; true (the worker is done with it) in any case.</summary>
    public async Task<bool> ParkAsync(CancellationToken token)
    {
        if (await rt.Lease.ParkForAnswersAsync(worker.RunId, token))
            rt.Logger.LogInformation("Run {RunId} waits for an approval; handed back until answered", worker.RunId);
        else
            rt.Logger.LogInformation("Run {RunId} was cancelled or taken over before it could be handed back", worker.RunId);
        return true;
    }
}
