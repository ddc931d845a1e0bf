using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Neena.Agent.Preparation;
using Neena.Domain.Catalogue;
using Neena.Domain.FlowRuns;
using Neena.Integrations;
using Neena.Integrations.Credentials;

namespace Neena.Engine;

internal enum OutcomeKind
{
    Completed,
    Failed,

    /// <summary>A transient failure: the task is <c>pending</c> again and due after <see cref="TaskOutcome.RetryDelay"/>.</summary>
    RetryLater,
    Stopped,
}

/// <summary>A completed attempt whose completion is still to be written: the attempt's copy of the task, and its clock.</summary>
internal sealed record DeferredCompletion(TaskRun Task, Stopwatch Clock);

internal sealed record TaskOutcome(OutcomeKind Kind, JsonNode? Result, string? Error, int Attempt, TimeSpan RetryDelay = default)
{
    /// <summary>Set when the task completed but its completion is not written yet: the scheduler writes it (<see cref="TaskAttempt.CompleteAsync"/>).</summary>
    public DeferredCompletion? Unwritten { get; init; }
}

/// <summary>
/// One attempt of a task of a run: waits for a slot of the instance, prepares the input (asking the model when needed),
/// records the start, invokes the task within its time limit, and records what came of it (completed, failed, retried
/// later, handed back) through the fenced store. Errors are classified by <see cref="TaskErrors"/>.
/// </summary>
internal sealed partial class TaskAttempt(RunWorker worker, EngineRuntime rt)
{
    /// <summary>One attempt of <paramref name="task"/> (a copy: the scheduler keeps the authoritative state), traced; never throws.</summary>
    /// <param name="chained">Set when the scheduler already holds a slot of the task gate for it and wrote its start (with its preparation) together with its predecessor's completion.</param>
    /// <param name="deferCompletion">Leave the completion's write to the scheduler (<see cref="DeferredCompletion"/>), so that it can start what the completion makes ready in the same round trip.</param>
    public async Task<TaskOutcome> RunAsync(
        TaskRun task, List<TaskRun> view, RunSnapshot snapshot, CancellationToken token, PreparedTask? chained = null, bool deferCompletion = false)
    {
        using var activity = EngineTracing.StartTask(worker.RunId, task.Id, task.TaskOperationIndex, task.Attempt);
        var outcome = await ExecuteTaskAsync(task, view, snapshot, chained, deferCompletion, token);
        activity?.SetTag("neena.task_run.outcome", outcome.Kind.ToString());
        if (outcome.Kind == OutcomeKind.Failed)
            activity?.SetStatus(ActivityStatusCode.Error, outcome.Error);
        return outcome;
    }

    private async Task<TaskOutcome> ExecuteTaskAsync(
        TaskRun task, List<TaskRun> view, RunSnapshot snapshot, PreparedTask? chained, bool deferCompletion, CancellationToken token)
    {
        await Task.Yield(); // let the scheduling loop start the other ready tasks first
        using var scope = rt.Logger.BeginScope(new Dictionary<string, object>
        {
            ["RunId"] = worker.RunId,
            ["TaskRunId"] = task.Id,
            ["TaskOperationIndex"] = task.TaskOperationIndex,
        });
        if (chained is null)
        {
            try
            {
                await rt.TaskGate.WaitAsync(token);
            }
            catch (OperationCanceledException)
            {
                return new TaskOutcome(OutcomeKind.Stopped, null, null, task.Attempt);
            }
        }

        var options = rt.Options;
        var started = chained is not null;
        var clock = Stopwatch.StartNew();
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token);
        try
        {
            // A chained task is in progress because its predecessor's completion started it just now, not because an
            // instance stopped while running it.
            if (chained is null && TaskRunStateMachine.InterruptedTooOften(task, options.MaxAttempts))
            {
                // Found in progress: an instance died or lost its lease while running it, again and again. A task that
                // brings instances down must not be retried forever.
                throw new TaskFailedException(string.Create(CultureInfo.InvariantCulture,
                    $"The task was interrupted {task.Attempt} time(s) (engine instances stopped or lost their lease while it ran); giving up."));
            }
            if (chained is null && TaskRunStateMachine.WasInterrupted(task))
                rt.Logger.LogWarning("Task {TaskRunId} was interrupted by a previous owner of the run; attempting it again", task.Id);

            // Local preparation (no model) is quick and needs nothing the start writes: it is done first, and the start
            // records it in the same statement. Preparation that may ask the model runs after the start, so that the task
            // reads in_progress while the model answers.
            // A chained task was prepared and started already, with its predecessor's completion (the scheduler set its
            // attempt and start time).
            var prepared = chained;
            if (chained is null && PrepareLocally(task, snapshot) is { } definition)
            {
                prepared = await rt.Preparer.PrepareAsync(Preparation(task, view, snapshot, definition), attempt.Token);
                (task.Attempt, task.StartTime) = await rt.Lease.StartPreparedTaskAsync(
                    worker.RunId, task.Id, prepared.Prompt, prepared.Answer, prepared.Usage.PromptTokens, prepared.Usage.CompletionTokens, token);
            }
            else if (chained is null)
            {
                (task.Attempt, task.StartTime) = await rt.Lease.StartTaskAsync(worker.RunId, task.Id, token);
            }
            task.Status = TaskRunStateMachine.Start.To;
            started = true;
            // A for_each task's time limit applies to each item's call (ForEachAttempt), not to all of them together.
            if (task.ForEach is null)
                attempt.CancelAfter(options.TaskTimeout);

            var output = task.ForEach is null
                ? await AttemptAsync(task, view, snapshot, prepared, attempt.Token, token)
                : await new ForEachAttempt(worker, rt).RunAsync(task, view, snapshot,
                    (item, itemToken) => AttemptAsync(task, view, snapshot, null, itemToken, token, item), attempt.Token);
            StorableOutput.Ensure(output);

            if (deferCompletion)
                return new TaskOutcome(OutcomeKind.Completed, output, null, task.Attempt) { Unwritten = new DeferredCompletion(task, clock) };
            await rt.Lease.CompleteTaskAsync(worker.RunId, task.Id, output, token);
            rt.Metrics.TaskFinished(TaskRunStateMachine.Complete.To, clock.Elapsed);
            rt.Logger.LogInformation("Task {TaskRunId} ({Operation}) completed on attempt {Attempt}", task.Id, task.OperationName, task.Attempt);
            return new TaskOutcome(OutcomeKind.Completed, output, null, task.Attempt);
        }
        catch (Exception ex)
        {
            var error = TaskErrors.Classify(ex, timedOut: attempt.IsCancellationRequested, options.TaskTimeoutSeconds, token);
            if (error.Unexpected)
                rt.Logger.LogError(ex, "Task {TaskRunId} failed with an unexpected error", task.Id);
            return await RecordAsync(task, error, started, clock, token);
        }
        finally
        {
            rt.TaskGate.Release();
        }
    }

    /// <summary>The task's definition when its preparation is local (no model, no for_each items) and it is implemented: it is then prepared before its start and recorded with it.</summary>
    private TaskDefinition? PrepareLocally(TaskRun task, RunSnapshot snapshot) =>
        !rt.Preparer.UsesModel && task.ForEach is null && Resolve(task, snapshot) is { } resolved ? resolved.Definition : null;

    /// <summary>The task's definition and implementation, or null when either is missing (the attempt then fails the task).</summary>
    private (TaskDefinition Definition, TaskDescriptor Descriptor)? Resolve(TaskRun task, RunSnapshot snapshot) =>
        snapshot.Definitions.TryGetValue(task.TaskDefinitionId, out var definition)
        && rt.Catalogue.FindTask(definition.PythonMethodName) is { } descriptor
            ? (definition, descriptor)
            : null;

    private static PreparationRequest Preparation(TaskRun task, List<TaskRun> view, RunSnapshot snapshot, TaskDefinition definition) =>
        new(snapshot.Request, snapshot.FlowName, task,
            new TaskDefinitionInfo(definition.TaskName, definition.Description, definition.Parameters, definition.OutputParameters, definition.OutputIsList),
            view, snapshot.Dependencies);

    /// <summary>
    /// One attempt: find the implementation, prepare the input (recorded) unless <paramref name="prepared"/> was already
    /// (prepared and recorded with the start), run the task within its time limit.
    /// </summary>
    private async Task<JsonNode?> AttemptAsync(
        TaskRun task, List<TaskRun> view, RunSnapshot snapshot, PreparedTask? prepared, CancellationToken attempt, CancellationToken token, ForEachItem? item = null)
    {
        if (!snapshot.Definitions.TryGetValue(task.TaskDefinitionId, out var definition))
            throw new TaskFailedException($"Task definition {task.TaskDefinitionId} does not exist.");
        var descriptor = rt.Catalogue.FindTask(definition.PythonMethodName)
            ?? throw new TaskFailedException($"Task '{definition.TaskName}' ({definition.PythonMethodName}) is not implemented by this server.");

        if (prepared is null)
        {
            prepared = await rt.Preparer.PrepareAsync(Preparation(task, view, snapshot, definition) with { Item = item }, attempt);
            // The tokens travel with the preparation's own write: no extra round trip per task. Of a for_each task's items,
            // the first one's preparation is kept (and every one that asked the model, for its tokens).
            if (item is null || item.Index == 0 || prepared.Usage.PromptTokens + prepared.Usage.CompletionTokens > 0)
                await rt.Lease.SavePreparationAsync(worker.RunId, task.Id, prepared.Prompt, prepared.Answer, prepared.Usage.PromptTokens, prepared.Usage.CompletionTokens, prepared.Model, token);
        }
        if (prepared.Error is not null)
            throw new TaskFailedException(prepared.Error);

        await using var services = rt.Scopes.CreateAsyncScope();
        // The run's organization's credentials (the one the operation names, else the newest), resolved only when the task
        // asks for them; a host without a credential store (an engine-only host that never registered one) answers every
        // request with "No credential".
        var credentials = services.ServiceProvider.GetService<ICredentialResolver>() is { } resolver
            ? CredentialAccessor.ForOrganization(resolver, snapshot.OrganizationId, task.IntegrationCredentialId)
            : CredentialAccessor.None;
        var context = new TaskContext(services.ServiceProvider, rt.TaskLogger, rt.Options.TaskTimeout, attempt) { Credentials = credentials };
        return await rt.Invoker.InvokeAsync(descriptor, prepared.Input, context);
    }

    /// <summary>Records what a classified error means for the task: a failure, a retry later, a hand-back, or nothing (lost).</summary>
    private async Task<TaskOutcome> RecordAsync(TaskRun task, TaskError error, bool started, Stopwatch clock, CancellationToken token)
    {
        try
        {
            switch (error.Kind)
            {
                case TaskErrorKind.Cancelled:
                    if (started && worker.Reason is StopReason.Shutdown or StopReason.LeaseAtRisk)
                        await ReturnToPendingAsync(task);
                    return new TaskOutcome(OutcomeKind.Stopped, null, null, task.Attempt);
                case TaskErrorKind.LeaseLost:
                    return Lost(task, error.Message);
                case TaskErrorKind.Transient when task.Attempt < rt.Options.MaxAttempts:
                    // The wait is recorded, not slept: the task goes back to pending with next_attempt_at, and its slot is freed.
                    var delay = Backoff(task.Attempt, rt.Options);
                    if (error.RetryAfter is { } retryAfter && retryAfter > delay)
                    {
                        // A rate limit says when asking again can succeed; sooner would only spend an attempt. Bounded, so
                        // that an absurd header cannot park a run for days.
                        delay = retryAfter < MaxRetryAfter ? retryAfter : MaxRetryAfter;
                    }
                    rt.Logger.LogWarning("Task {TaskRunId} failed transiently on attempt {Attempt}, retrying in {Delay} ms: {Error}",
                        task.Id, task.Attempt, (int)delay.TotalMilliseconds, error.Message);
                    await rt.Lease.ScheduleRetryAsync(worker.RunId, task.Id, error.Message, delay, token);
                    return new TaskOutcome(OutcomeKind.RetryLater, null, error.Message, task.Attempt, delay);
                case TaskErrorKind.Transient:
                    return await FailAsync(task, string.Create(CultureInfo.InvariantCulture, $"{error.Message} (gave up after {task.Attempt} attempt(s))"), clock, token);
                default:
                    return await FailAsync(task, error.Message, clock, token);
            }
        }
        catch (Exception ex)
        {
            // Recording itself failed: the run is stopping, the fence refused, or the store is unreachable.
            var again = TaskErrors.Classify(ex, timedOut: false, rt.Options.TaskTimeoutSeconds, token);
            if (again.Kind != TaskErrorKind.Cancelled)
                return Lost(task, again.Message);
            if (started && worker.Reason is StopReason.Shutdown or StopReason.LeaseAtRisk)
                await ReturnToPendingAsync(task);
            return new TaskOutcome(OutcomeKind.Stopped, null, null, task.Attempt);
        }
    }

    private async Task<TaskOutcome> FailAsync(TaskRun task, string error, Stopwatch clock, CancellationToken token)
    {
        await rt.Lease.FailTaskAsync(worker.RunId, task.Id, error, token);
        rt.Metrics.TaskFinished(TaskRunStateMachine.Fail.To, clock.Elapsed);
        rt.Logger.LogWarning("Task {TaskRunId} ({Operation}) failed: {Error}", task.Id, task.OperationName, error);
        return new TaskOutcome(OutcomeKind.Failed, null, error, task.Attempt);
    }

    /// <summary>The run is no longer ours (the fence refused a write, or nothing can be recorded): stop everything.</summary>
    private TaskOutcome Lost(TaskRun task, string reason)
    {
        rt.Logger.LogWarning("Run {RunId}: {Reason}; stopping its work", worker.RunId, reason);
        worker.Stop(StopReason.Abandon);
        return new TaskOutcome(OutcomeKind.Stopped, null, null, task.Attempt);
    }

    private async Task ReturnToPendingAsync(TaskRun task)
    {
        try
        {
            // The run's token is already cancelled; this last write gets a short budget of its own.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await rt.Lease.ReturnTaskToPendingAsync(worker.RunId, task.Id, timeout.Token);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            // It stays in progress; whoever takes the run over attempts it again.
            rt.Logger.LogWarning(ex, "Could not hand task {TaskRunId} back", task.Id);
        }
    }

    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromHours(1);

    /// <summary>The wait before a task's next attempt after <paramref name="attempt"/> attempts: <see cref="Domain.Common.Backoff"/> with equal jitter, so retries of many tasks spread out.</summary>
    internal static TimeSpan Backoff(int attempt, EngineOptions options) =>
#pragma warning disable CA5394 // jitter needs no cryptographic randomness
        TimeSpan.FromMilliseconds(Domain.Common.Backoff.Exponential(attempt, options.RetryBaseDelayMilliseconds, options.RetryMaxDelayMilliseconds, Random.Shared.NextDouble()));
#pragma warning restore CA5394

    /// <summary>A copy for an attempt or a view of the run's tasks.</summary>
    public static TaskRun Copy(TaskRun t) => new()
    {
        Id = t.Id,
        OrganizationId = t.OrganizationId,
        FlowRunId = t.FlowRunId,
        TaskOperationIndex = t.TaskOperationIndex,
        Status = t.Status,
        StartTime = t.StartTime,
        EndTime = t.EndTime,
        Result = t.Result?.DeepClone(), // JsonNode is not safe for concurrent reads (lazy materialisation); each task gets its own
        Error = t.Error,
        Attempt = t.Attempt,
        TaskOperationId = t.TaskOperationId,
        TaskDefinitionId = t.TaskDefinitionId,
        OperationName = t.OperationName,
        Instruction = t.Instruction,
        Parameters = (JsonObject?)t.Parameters?.DeepClone(),
        IntegrationCredentialId = t.IntegrationCredentialId,
        DependsOn = t.DependsOn,
        SortedIndex = t.SortedIndex,
        Join = t.Join,
        ContinueOnFailure = t.ContinueOnFailure,
        Conditions = (JsonObject?)t.Conditions?.DeepClone(),
        ForEach = t.ForEach,
    };
}
