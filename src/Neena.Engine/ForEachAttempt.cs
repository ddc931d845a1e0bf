using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Neena.Domain.FlowRuns;
using Neena.Integrations;

namespace Neena.Engine;

/// <summary>
/// One attempt of a <c>for_each</c> task (issue 20), inside <see cref="TaskAttempt"/>'s started attempt: resolves the
/// binding once, records one durable row per item, and runs the items that have not completed or been skipped, up to
/// <c>Engine:MaxConcurrentTasksPerRun</c> at once. Each item is recorded <c>in_progress</c> before its call and
/// <c>completed</c> with its result after it, so a crash, a lost lease or a retry of the run never calls a completed item
/// again; an item found <c>in_progress</c> (its call may or may not have reached the service) is attempted again: that is
/// the at-least-once window, at most one call per item that was in flight when the instance died.
/// </summary>
internal sealed class ForEachAttempt(RunWorker worker, EngineRuntime rt)
{
    /// <summary>One item's call: preparation with the item's values and the invocation.</summary>
    public delegate Task<JsonNode?> ItemCall(ForEachItem item, CancellationToken attempt);

    /// <summary>The ordered item results; throws what <see cref="TaskErrors"/> classifies (a failed item: <see cref="TaskFailedException"/>).</summary>
    public async Task<JsonArray> RunAsync(TaskRun task, List<TaskRun> view, RunSnapshot snapshot, ItemCall call, CancellationToken token)
    {
        var byIndex = view.ToDictionary(t => t.TaskOperationIndex);
        var request = new RequestValues(snapshot.Request.Instructions, snapshot.Request.Name, snapshot.Request.Metadata);
        var binding = task.ForEach!;
        var value = TaskDecisions.ResolveBinding(binding, byIndex, request);
        if (value is not JsonArray array)
        {
            throw new TaskFailedException(string.Create(CultureInfo.InvariantCulture,
                $"for_each: {binding} is not a JSON array (it is {(value is null ? "null" : value.GetValueKind().ToString().ToLowerInvariant())})."));
        }
        var max = rt.Options.MaxForEachItems;
        if (array.Count > max)
        {
            throw new TaskFailedException(string.Create(CultureInfo.InvariantCulture,
                $"for_each: {binding} has {array.Count} items, more than the {max} a task may have (Engine:MaxForEachItems)."));
        }

        // Items run concurrently and JsonNode is not safe for concurrent reads until materialised: each item gets its own
        // copy, and the run's task results are materialised once before the items read them.
        var items = array.Select((node, i) => new ForEachItem(i, node?.DeepClone())).ToList();
        foreach (var t in view)
            Materialise(t.Result);
        Materialise(task.Parameters);

        var states = await rt.Lease.OpenItemsAsync(worker.RunId, task.Id, items.Count, token);
        var results = new JsonNode?[items.Count];
        var todo = new List<ForEachItemState>();
        foreach (var state in states)
        {
            if (state.Status == RunStatus.Completed)
                results[state.Index] = state.Result;
            else if (!ForEachItems.IsDone(state.Status))
                todo.Add(state);
        }
        // Per-item conditions are decided here, one after the other, before any item runs: they read the shared view.
        var run = new List<ForEachItemState>(todo.Count);
        foreach (var state in todo)
        {
            if (TaskDecisions.ItemRuns(task, byIndex, request, items[state.Index]))
                run.Add(state);
            else
                await rt.Lease.SkipItemAsync(worker.RunId, task.Id, state.Index, token);
        }

        var failures = new SortedDictionary<int, string>();
        ExceptionDispatchInfo? fatal = null;
        using var stopStarting = CancellationTokenSource.CreateLinkedTokenSource(token);
        try
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = rt.Options.MaxConcurrentTasksPerRun, CancellationToken = stopStarting.Token };
            await Parallel.ForEachAsync(run, parallel, async (state, _) =>
            {
                try
                {
                    var (result, error) = await RunItemAsync(task, items[state.Index], state, call, token);
                    if (error is null)
                    {
                        results[state.Index] = result;
                        return;
                    }
                    lock (failures)
                        failures[state.Index] = error;
                }
#pragma warning disable CA1031 // kept and rethrown below, once the items in flight have ended
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Interlocked.CompareExchange(ref fatal, ExceptionDispatchInfo.Capture(ex), null);
                }
                // A failed item fails the task: start no more items (those in flight end as they do).
                await stopStarting.CancelAsync();
            });
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            // Stopped starting items after a failure.
        }

        // Items in progress are handed back with the task (TaskAttempt, on shutdown or a lease at risk).
        fatal?.Throw();
        token.ThrowIfCancellationRequested();
        if (failures.Count > 0)
        {
            var (index, error) = failures.First();
            throw new TaskFailedException(string.Create(CultureInfo.InvariantCulture, $"for_each item {index} failed: {error}"));
        }
        return [.. results];
    }

    /// <summary>One item until it completes or fails for good (transient failures wait the task's backoff); the error when it failed.</summary>
    private async Task<(JsonNode? Result, string? Error)> RunItemAsync(TaskRun task, ForEachItem item, ForEachItemState state, ItemCall call, CancellationToken token)
    {
        var options = rt.Options;
        if (state.Status == RunStatus.InProgress)
        {
            if (state.Attempt >= options.MaxAttempts)
            {
                var message = string.Create(CultureInfo.InvariantCulture,
                    $"The item was interrupted {state.Attempt} time(s) (engine instances stopped or lost their lease while it ran); giving up.");
                await rt.Lease.FailItemAsync(worker.RunId, task.Id, item.Index, message, token);
                return (null, message);
            }
            rt.Logger.LogWarning("Item {Index} of task {TaskRunId} was interrupted by a previous owner of the run; attempting it again", item.Index, task.Id);
        }
        while (true)
        {
            var attempt = await rt.Lease.StartItemAsync(worker.RunId, task.Id, item.Index, token);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(token);
            limit.CancelAfter(options.TaskTimeout);
            TaskError error;
            try
            {
                var output = await call(item, limit.Token);
                StorableOutput.Ensure(output);
                await rt.Lease.CompleteItemAsync(worker.RunId, task.Id, item.Index, output, token);
                return (output, null);
            }
            catch (Exception ex) when (ex is not Persistence.FlowRuns.LeaseLostException && !token.IsCancellationRequested && ex is not System.Data.Common.DbException)
            {
                error = TaskErrors.Classify(ex, timedOut: limit.IsCancellationRequested, options.TaskTimeoutSeconds, token);
                if (error.Unexpected)
                    rt.Logger.LogError(ex, "Item {Index} of task {TaskRunId} failed with an unexpected error", item.Index, task.Id);
            }
            if (error.Kind == TaskErrorKind.Transient && attempt < options.MaxAttempts)
            {
                var delay = TaskAttempt.Backoff(attempt, options);
                rt.Logger.LogWarning("Item {Index} of task {TaskRunId} failed transiently on attempt {Attempt}, retrying in {Delay} ms: {Error}",
                    item.Index, task.Id, attempt, (int)delay.TotalMilliseconds, error.Message);
                await rt.Lease.RetryItemLaterAsync(worker.RunId, task.Id, item.Index, error.Message, token);
                await Task.Delay(delay, token);
                continue;
            }
            var final = error.Kind == TaskErrorKind.Transient
                ? string.Create(CultureInfo.InvariantCulture, $"{error.Message} (gave up after {attempt} attempt(s))")
                : error.Message;
            await rt.Lease.FailItemAsync(worker.RunId, task.Id, item.Index, final, token);
            return (null, final);
        }
    }

    /// <summary>Walks a node so that every object and array in it is materialised: reads from several threads are safe after it.</summary>
    private static void Materialise(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                    Materialise(child);
                break;
            case JsonArray array:
                foreach (var child in array)
                    Materialise(child);
                break;
            default:
                break;
        }
    }
}
