using Neena.Agent.Preparation;
using Neena.Domain.FlowRuns;
using Neena.Persistence.FlowRuns;

namespace Neena.Engine;

/// <summary>
/// Chained starts: a task's completion and the starts of the tasks it makes ready, written in one round trip (one
/// transaction) instead of one each. Only starts the loop would make next anyway are chained — the ready tasks in the
/// flow's order, up to the first one that needs more than a local preparation and a slot (an approval, a retry waiting,
/// a for_each, a model, an interrupted attempt), within the run's and the instance's bounds; the loop starts the rest.
/// </summary>
internal sealed partial class RunScheduler
{
    /// <summary>The scheduling loop's state a chained completion reads (and adds the chained attempts to).</summary>
    private sealed record ChainState(
        List<TaskRun> Tasks,
        Dictionary<int, TaskRun> ByIndex,
        Dictionary<Task<TaskOutcome>, TaskRun> Running,
        Dictionary<Guid, long> DueAt,
        RequestValues Request,
        RunSnapshot Snapshot,
        bool Open);

    /// <summary>
    /// Whether <paramref name="task"/>'s attempt leaves its completion to the loop: only when a completion can make
    /// something ready (a task depends on it) and starts can be prepared locally, so a run's last task and runs with a
    /// model write their completions as before.
    /// </summary>
    private bool DefersCompletion(TaskRun task, List<TaskRun> tasks) =>
        !rt.Preparer.UsesModel && tasks.Exists(t => t.DependsOn.Contains(task.TaskOperationIndex));

    /// <summary>
    /// Writes the completion <paramref name="outcome"/> left unwritten, with the starts of the tasks it makes ready, and
    /// runs their attempts. Returns the outcome as written (a failed write is classified and recorded by the attempt).
    /// </summary>
    private async Task<TaskOutcome> CompleteChainedAsync(TaskRun finished, TaskOutcome outcome, ChainState state, CancellationToken token)
    {
        var chained = new List<(TaskRun Task, PreparedTask Prepared)>();
        List<TaskRun>? view = null;
        var before = (finished.Status, finished.Result, finished.Error);
        try
        {
            if (state.Open && !worker.Stopping)
            {
                // The run as the loop will see it once the completion is written.
                (finished.Status, finished.Result, finished.Error) = (TaskRunStateMachine.Complete.To, outcome.Result, null);
                view = state.Tasks.Select(TaskAttempt.Copy).ToList();
                await ChooseAsync(state, view, chained, token);
            }
        }
        finally
        {
            (finished.Status, finished.Result, finished.Error) = before;
        }

        var starts = chained.ConvertAll(c => new ChainedStart(
            c.Task.Id, c.Prepared.Prompt, c.Prepared.Answer, c.Prepared.Usage.PromptTokens, c.Prepared.Usage.CompletionTokens));
        var (written, started) = await _attempts.CompleteAsync(outcome, starts, token);
        if (started is null)
        {
            // Nothing of the round trip was written: the chosen tasks are still pending, and the loop sees to them.
            foreach (var _ in chained)
                rt.TaskGate.Release();
            return written;
        }
        for (var i = 0; i < chained.Count; i++)
        {
            var (task, prepared) = chained[i];
            var copy = TaskAttempt.Copy(task);
            (copy.Attempt, copy.StartTime, copy.Status) = (started[i].Attempt, started[i].StartTime, TaskRunStateMachine.Start.To);
            state.DueAt.Remove(task.Id);
            state.Running.Add(_attempts.RunAsync(copy, view!, state.Snapshot, token, prepared, DefersCompletion(task, state.Tasks)), task);
        }
        return written;
    }

    /// <summary>Picks and prepares the starts to chain, each holding a slot of the instance's task gate.</summary>
    private async Task ChooseAsync(ChainState state, List<TaskRun> view, List<(TaskRun Task, PreparedTask Prepared)> chained, CancellationToken token)
    {
        // A skip decided by this completion comes first in the loop (and may decide more): leave everything to it then.
        if (TaskRunStateMachine.Skippable(state.Tasks, state.ByIndex, state.Running.ContainsValue, state.Request).Count > 0)
            return;
        foreach (var task in TaskRunStateMachine.Ready(state.Tasks, state.ByIndex, state.Running.ContainsValue, state.Request))
        {
            if (state.Running.Count + chained.Count >= rt.Options.MaxConcurrentTasksPerRun
                || state.DueAt.ContainsKey(task.Id)
                || ApprovalStep.Handles(task, state.Snapshot)
                || TaskRunStateMachine.WasInterrupted(task)
                || !rt.TaskGate.Wait(0, CancellationToken.None))
            {
                return;
            }
            var prepared = await _attempts.PrepareForChainAsync(TaskAttempt.Copy(task), view, state.Snapshot, token);
            if (prepared is null)
            {
                rt.TaskGate.Release();
                return;
            }
            chained.Add((task, prepared));
        }
    }
}
