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
using Neena.Persistence.FlowRuns;

namespace Neena.Engine;

/// <summary>Why a worker stops before its run is finished.</summary>
internal enum StopReason
{
    None = 0,

    /// <summary>The instance is shutting down: interrupted tasks go back to <c>pending</c> and the lease is released.</summary>
    Shutdown = 1,

    /// <summary>The run is no longer ours (cancelled, lease lost, instance halted): write nothing more.</summary>
    Abandon = 2,

    /// <summary>
    /// The lease could not be renewed in time and may soon expire: stop before another instance can take the run over,
    /// then hand it back as on shutdown (the hand-back writes are fenced, so they are harmless if it was taken meanwhile).
    /// </summary>
    LeaseAtRisk = 3,
}

/// <summary>What one engine instance shares between its run workers.</summary>
internal sealed record EngineRuntime(
    EngineOptions Options,
    RunLease Lease,
    Npgsql.NpgsqlDataSource DataSource,
    IServiceScopeFactory Scopes,
    TaskPreparer Preparer,
    IntegrationCatalogue Catalogue,
    TaskInvoker Invoker,
    EngineMetrics Metrics,
    ILogger Logger,
    ILogger TaskLogger,
    SemaphoreSlim TaskGate,
    CancellationToken Draining,
    CancellationToken HardStop);

/// <summary>
/// Executes one claimed run: schedules its ready tasks (bounded per run and per instance), records every transition
/// through the fenced store, and finishes the run with its flow result. One worker per claimed run and instance.
/// </summary>
internal sealed class RunWorker : IDisposable
{
    private readonly EngineRuntime _rt;
    private readonly CancellationTokenSource _stop;
    private int _stopReason;
    private long _leaseConfirmedAt;
    private readonly int _claimAttempts;
    private RunSnapshot? _snapshot;

    /// <param name="leaseConfirmedAt">
    /// <see cref="Stopwatch.GetTimestamp"/> taken before the claim statement was sent: the lease runs at least until then
    /// plus its duration, whatever the database's clock says.
    /// </param>
    /// <param name="claimAttempts">Claims of the run not ended in good order, this one included (see <see cref="EngineOptions.MaxRunAttempts"/>).</param>
    /// <param name="snapshot">The run as read in the claim's round trip, or null to read it when the worker starts.</param>
    public RunWorker(Guid runId, int claimAttempts, EngineRuntime runtime, long leaseConfirmedAt, RunSnapshot? snapshot = null)
    {
        _snapshot = snapshot;
        RunId = runId;
        _claimAttempts = claimAttempts;
        _rt = runtime;
        _leaseConfirmedAt = leaseConfirmedAt;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(runtime.HardStop);
    }

    public Guid RunId { get; }

    /// <summary>Time since the start of the last claim or renewal known to have succeeded: a lower bound of the lease's age.</summary>
    public TimeSpan LeaseAge => Stopwatch.GetElapsedTime(Interlocked.Read(ref _leaseConfirmedAt));

    /// <summary>A renewal sent at <paramref name="sentAt"/> (a <see cref="Stopwatch"/> timestamp) succeeded.</summary>
    public void LeaseConfirmed(long sentAt)
    {
        var current = Interlocked.Read(ref _leaseConfirmedAt);
        while (sentAt > current)
        {
            var seen = Interlocked.CompareExchange(ref _leaseConfirmedAt, sentAt, current);
            if (seen == current)
                return;
            current = seen;
        }
    }

    /// <summary>True once a stop was requested, whatever the reason.</summary>
    public bool Stopping => Volatile.Read(ref _stopReason) != 0;

    public Task Completion { get; private set; } = Task.CompletedTask;

    private StopReason Reason => Volatile.Read(ref _stopReason) is var r && r != 0
        ? (StopReason)r
        : _rt.HardStop.IsCancellationRequested ? StopReason.Shutdown : StopReason.None;

    public void Start() => Completion = Task.Run(TracedRunAsync);

    /// <summary>Stops the run's tasks through their cancellation token; the first reason given wins (true for the first call).</summary>
    public bool Stop(StopReason reason)
    {
        var first = Interlocked.CompareExchange(ref _stopReason, (int)reason, 0) == 0;
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The worker already ended; nothing is left to stop.
        }
        return first;
    }

    public void Dispose() => _stop.Dispose();

    private Activity? _runActivity;

    private async Task TracedRunAsync()
    {
        using var activity = EngineTracing.StartRun(RunId);
        _runActivity = activity;
        await RunAsync();
    }

    private async Task<TaskOutcome> TracedTaskAsync(TaskRun task, List<TaskRun> view, RunSnapshot snapshot, CancellationToken token)
    {
        using var activity = EngineTracing.StartTask(RunId, task.Id, task.TaskOperationIndex, task.Attempt);
        var outcome = await ExecuteTaskAsync(task, view, snapshot, token);
        activity?.SetTag("neena.task_run.outcome", outcome.Kind.ToString());
        if (outcome.Kind == OutcomeKind.Failed)
            activity?.SetStatus(ActivityStatusCode.Error, outcome.Error);
        return outcome;
    }

    private async Task RunAsync()
    {
        using var scope = _rt.Logger.BeginScope(new Dictionary<string, object> { ["RunId"] = RunId });
        var token = _stop.Token;
        var finished = false;
        try
        {
            _rt.Metrics.RunStarted(_rt.Options.InstanceId);
            if (_claimAttempts > _rt.Options.MaxRunAttempts)
            {
                // Every earlier claim ended without a word (instances crashed or lost their lease while working on it).
                finished = await GiveUpAsync(string.Create(CultureInfo.InvariantCulture,
                    $"The run failed: engine instances took it on {_claimAttempts - 1} time(s) and every time stopped without finishing it (crashed or lost their lease); giving up."),
                    token);
                return;
            }
            var snapshot = _snapshot ?? await RunLoader.LoadAsync(_rt.DataSource, RunId, token);
            _snapshot = null;
            if (snapshot is not null)
                EngineTracing.LinkToStart(_runActivity, snapshot.StartTraceParent);
            if (snapshot is null || snapshot.Status != RunStatus.InProgress)
            {
                finished = true; // cancelled or finished between the claim and now: nothing to do
                return;
            }
            finished = await ExecuteAsync(snapshot, snapshot.RetryDelays, token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped: the reason decides what happens with the lease below.
        }
        catch (UnreadableRunException ex)
        {
            _rt.Logger.LogError("Run {RunId} cannot be read: {Reason}; failing it", RunId, ex.Message);
            finished = await GiveUpAsync("The run failed: " + ex.Message, CancellationToken.None);
        }
        catch (Exception ex)
        {
            if (_claimAttempts >= _rt.Options.MaxRunAttempts)
            {
                _rt.Logger.LogError(ex, "Run {RunId} stopped on an unexpected error on its claim {Attempt} of at most {Max}; failing it", RunId, _claimAttempts, _rt.Options.MaxRunAttempts);
                finished = await GiveUpAsync(string.Create(CultureInfo.InvariantCulture,
                    $"The run failed: the engine hit an unexpected error {_claimAttempts} time(s) while working on it; giving up. Last error: {ex.GetType().Name}: {ex.Message}"),
                    CancellationToken.None);
            }
            else
            {
                // Not released on purpose: the lease runs out and the run is taken over later, which doubles as a back-off
                // when the cause (database outage, bad data) persists.
                _rt.Logger.LogError(ex, "Run {RunId} stopped on an unexpected error; it will be taken over when its lease expires", RunId);
                Stop(StopReason.Abandon);
            }
        }
        finally
        {
            if (!finished && Reason != StopReason.Abandon && (Reason is StopReason.Shutdown or StopReason.LeaseAtRisk || _rt.Draining.IsCancellationRequested))
                await ReleaseAsync();
        }
    }

    /// <summary>
    /// Fails the run without loading it (loading may be what keeps failing): unfinished tasks end <c>cancelled</c> and the
    /// flow result carries <paramref name="message"/>. True when written or no longer ours; false when the write failed.
    /// </summary>
    private async Task<bool> GiveUpAsync(string message, CancellationToken token)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            if (await _rt.Lease.FinishRunAsync(RunId, RunStatus.Failed, message, timeout.Token))
            {
                _rt.Metrics.RunFinished(RunStatus.Failed);
                _rt.Logger.LogWarning("Run {RunId} failed: {Message}", RunId, message);
            }
            return true;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or OperationCanceledException or InvalidOperationException or TimeoutException)
        {
            // The lease runs out and the next claim tries again.
            _rt.Logger.LogError(ex, "Could not record the failure of run {RunId}", RunId);
            Stop(StopReason.Abandon);
            return false;
        }
    }

    /// <summary>Runs the scheduling loop; true when the run reached a final state, was parked, or is no longer ours to finish.</summary>
    private async Task<bool> ExecuteAsync(RunSnapshot snapshot, IReadOnlyDictionary<Guid, TimeSpan> retryDelays, CancellationToken token)
    {
        var tasks = snapshot.Tasks;
        var byIndex = tasks.ToDictionary(t => t.TaskOperationIndex);
        var running = new Dictionary<Task<TaskOutcome>, TaskRun>();
        var failed = tasks.Any(t => t.Status == RunStatus.Failed);
        // Tasks waiting for a retry, with when they come due (Stopwatch timestamps; the delays came from the database's clock).
        var loadedAt = Stopwatch.GetTimestamp();
        var dueAt = retryDelays.ToDictionary(d => d.Key, d => loadedAt + ToStopwatchTicks(d.Value));
        using var draining = CancellationTokenSource.CreateLinkedTokenSource(token, _rt.Draining);

        while (true)
        {
            var nearest = TimeSpan.MaxValue;
            if (!failed && !draining.IsCancellationRequested)
            {
                var ready = tasks
                    .Where(t => RunStatus.IsOpen(t.Status)
                                && !running.ContainsValue(t)
                                && t.DependsOn.All(d => byIndex.TryGetValue(d, out var source) && source.Status == RunStatus.Completed))
                    .OrderBy(t => t.SortedIndex)
                    .ToList();
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
                    if (running.Count >= _rt.Options.MaxConcurrentTasksPerRun)
                        break;
                    dueAt.Remove(task.Id);
                    // The executing task gets copies: this loop keeps the authoritative state and is the only one changing it.
                    var view = tasks.Select(Copy).ToList();
                    running.Add(TracedTaskAsync(Copy(task), view, snapshot, token), task);
                }
            }

            if (running.Count == 0)
            {
                if (nearest == TimeSpan.MaxValue)
                    break;
                // Only tasks waiting for a retry are left.
                if (nearest > _rt.Options.RetryHoldLimit)
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
            var outcome = await done; // never throws: ExecuteTaskAsync turns every error into an outcome
            switch (outcome.Kind)
            {
                case OutcomeKind.Completed:
                    finishedTask.Status = RunStatus.Completed;
                    finishedTask.Result = outcome.Result;
                    finishedTask.Error = null;
                    break;
                case OutcomeKind.Failed:
                    finishedTask.Status = RunStatus.Failed;
                    finishedTask.Error = outcome.Error;
                    failed = true; // start nothing more; tasks already running may finish
                    break;
                case OutcomeKind.RetryLater:
                    finishedTask.Status = RunStatus.Pending;
                    finishedTask.Error = outcome.Error;
                    dueAt[finishedTask.Id] = Stopwatch.GetTimestamp() + ToStopwatchTicks(outcome.RetryDelay);
                    break;
                default:
                    break; // stopped: the stop reason ends the loop once nothing runs
            }
            finishedTask.Attempt = Math.Max(finishedTask.Attempt, outcome.Attempt);
        }

        if (Reason != StopReason.None || token.IsCancellationRequested)
            return Reason == StopReason.Abandon;

        var allCompleted = tasks.All(t => t.Status == RunStatus.Completed);
        if (!failed && !allCompleted)
        {
            if (_rt.Draining.IsCancellationRequested)
                return false; // shutting down between tasks: hand the rest over

            // Only possible with inconsistent rows (a dependency that is neither done nor runnable): do not spin on it.
            failed = true;
        }

        var status = failed ? RunStatus.Failed : RunStatus.Completed;
        string? message = null;
        if (failed && !tasks.Any(t => t.Status == RunStatus.Failed))
            message = "The run failed: some tasks could not run because a task they depend on did not complete.";

        if (await _rt.Lease.FinishRunAsync(RunId, status, message, token))
        {
            _rt.Metrics.RunFinished(status);
            _rt.Logger.LogInformation("Run {RunId} finished: {Status}", RunId, status);
        }
        else
        {
            _rt.Logger.LogInformation("Run {RunId} was cancelled or taken over before it could finish; nothing written", RunId);
        }
        return true;
    }

    private enum OutcomeKind
    {
        Completed,
        Failed,

        /// <summary>A transient failure: the task is <c>pending</c> again and due after <see cref="TaskOutcome.RetryDelay"/>.</summary>
        RetryLater,
        Stopped,
    }

    private sealed record TaskOutcome(OutcomeKind Kind, JsonNode? Result, string? Error, int Attempt, TimeSpan RetryDelay = default);

    /// <summary>
    /// Gives the run back until its waiting tasks come due, so it holds neither a lease nor a place among this instance's
    /// runs meanwhile; the claim skips it until then and the engines' timers pick it up when the time comes.
    /// </summary>
    private async Task<bool> ParkAsync(TimeSpan nearest, CancellationToken token)
    {
        if (await _rt.Lease.ParkAsync(RunId, token))
        {
            _rt.Logger.LogInformation("Run {RunId} waits {Delay} ms for a retry; handed back until then", RunId, (long)nearest.TotalMilliseconds);
        }
        else
        {
            _rt.Logger.LogInformation("Run {RunId} was cancelled or taken over before it could be handed back", RunId);
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

    private async Task<TaskOutcome> ExecuteTaskAsync(TaskRun task, List<TaskRun> view, RunSnapshot snapshot, CancellationToken token)
    {
        await Task.Yield(); // let the scheduling loop start the other ready tasks first
        using var scope = _rt.Logger.BeginScope(new Dictionary<string, object>
        {
            ["RunId"] = RunId,
            ["TaskRunId"] = task.Id,
            ["TaskOperationIndex"] = task.TaskOperationIndex,
        });
        try
        {
            await _rt.TaskGate.WaitAsync(token);
        }
        catch (OperationCanceledException)
        {
            return new TaskOutcome(OutcomeKind.Stopped, null, null, task.Attempt);
        }

        var options = _rt.Options;
        var started = false;
        var clock = Stopwatch.StartNew();
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token);
        try
        {
            if (task.Status == RunStatus.InProgress && task.Attempt >= options.MaxAttempts)
            {
                // Found in progress: an instance died or lost its lease while running it, again and again. A task that
                // brings instances down must not be retried forever.
                throw new TaskFailedException(string.Create(CultureInfo.InvariantCulture,
                    $"The task was interrupted {task.Attempt} time(s) (engine instances stopped or lost their lease while it ran); giving up."));
            }
            if (task.Status == RunStatus.InProgress)
                _rt.Logger.LogWarning("Task {TaskRunId} was interrupted by a previous owner of the run; attempting it again", task.Id);

            // Local preparation (no model) is quick and needs nothing the start writes: it is done first, and the start
            // records it in the same statement. Preparation that may ask the model runs after the start, so that the task
            // reads in_progress while the model answers.
            PreparedTask? prepared = null;
            if (!_rt.Preparer.UsesModel && Resolve(task, snapshot) is { } resolved)
            {
                prepared = await _rt.Preparer.PrepareAsync(Preparation(task, view, snapshot, resolved.Definition), attempt.Token);
                (task.Attempt, task.StartTime) = await _rt.Lease.StartPreparedTaskAsync(
                    RunId, task.Id, prepared.Prompt, prepared.Answer, prepared.Usage.PromptTokens, prepared.Usage.CompletionTokens, token);
            }
            else
            {
                (task.Attempt, task.StartTime) = await _rt.Lease.StartTaskAsync(RunId, task.Id, token);
            }
            task.Status = RunStatus.InProgress;
            started = true;
            attempt.CancelAfter(options.TaskTimeout);

            var output = await AttemptAsync(task, view, snapshot, prepared, attempt.Token, token);
            StorableOutput.Ensure(output);

            await _rt.Lease.CompleteTaskAsync(RunId, task.Id, output, token);
            _rt.Metrics.TaskFinished(RunStatus.Completed, clock.Elapsed);
            _rt.Logger.LogInformation("Task {TaskRunId} ({Operation}) completed on attempt {Attempt}", task.Id, task.OperationName, task.Attempt);
            return new TaskOutcome(OutcomeKind.Completed, output, null, task.Attempt);
        }
        catch (Exception ex)
        {
            var error = TaskErrors.Classify(ex, timedOut: attempt.IsCancellationRequested, options.TaskTimeoutSeconds, token);
            if (error.Unexpected)
                _rt.Logger.LogError(ex, "Task {TaskRunId} failed with an unexpected error", task.Id);
            return await RecordAsync(task, error, started, clock, token);
        }
        finally
        {
            _rt.TaskGate.Release();
        }
    }

    /// <summary>The task's definition and implementation, or null when either is missing (the attempt then fails the task).</summary>
    private (TaskDefinition Definition, TaskDescriptor Descriptor)? Resolve(TaskRun task, RunSnapshot snapshot) =>
        snapshot.Definitions.TryGetValue(task.TaskDefinitionId, out var definition)
        && _rt.Catalogue.FindTask(definition.PythonMethodName) is { } descriptor
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
    private async Task<JsonNode?> AttemptAsync(TaskRun task, List<TaskRun> view, RunSnapshot snapshot, PreparedTask? prepared, CancellationToken attempt, CancellationToken token)
    {
        if (!snapshot.Definitions.TryGetValue(task.TaskDefinitionId, out var definition))
            throw new TaskFailedException($"Task definition {task.TaskDefinitionId} does not exist.");
        var descriptor = _rt.Catalogue.FindTask(definition.PythonMethodName)
            ?? throw new TaskFailedException($"Task '{definition.TaskName}' ({definition.PythonMethodName}) is not implemented by this server.");

        if (prepared is null)
        {
            prepared = await _rt.Preparer.PrepareAsync(Preparation(task, view, snapshot, definition), attempt);
            // The tokens travel with the preparation's own write: no extra round trip per task.
            await _rt.Lease.SavePreparationAsync(RunId, task.Id, prepared.Prompt, prepared.Answer, prepared.Usage.PromptTokens, prepared.Usage.CompletionTokens, prepared.Model, token);
        }
        if (prepared.Error is not null)
            throw new TaskFailedException(prepared.Error);

        await using var services = _rt.Scopes.CreateAsyncScope();
        // The run's organization's credentials (the one the operation names, else the newest), resolved only when the task
        // asks for them; a host without a credential store (an engine-only host that never registered one) answers every
        // request with "No credential".
        var credentials = services.ServiceProvider.GetService<ICredentialResolver>() is { } resolver
            ? CredentialAccessor.ForOrganization(resolver, snapshot.OrganizationId, task.IntegrationCredentialId)
            : CredentialAccessor.None;
        var context = new TaskContext(services.ServiceProvider, _rt.TaskLogger, _rt.Options.TaskTimeout, attempt) { Credentials = credentials };
        return await _rt.Invoker.InvokeAsync(descriptor, prepared.Input, context);
    }

    /// <summary>Records what a classified error means for the task: a failure, a retry later, a hand-back, or nothing (lost).</summary>
    private async Task<TaskOutcome> RecordAsync(TaskRun task, TaskError error, bool started, Stopwatch clock, CancellationToken token)
    {
        try
        {
            switch (error.Kind)
            {
                case TaskErrorKind.Cancelled:
                    if (started && Reason is StopReason.Shutdown or StopReason.LeaseAtRisk)
                        await ReturnToPendingAsync(task);
                    return new TaskOutcome(OutcomeKind.Stopped, null, null, task.Attempt);
                case TaskErrorKind.LeaseLost:
                    return Lost(task, error.Message);
                case TaskErrorKind.Transient when task.Attempt < _rt.Options.MaxAttempts:
                    // The wait is recorded, not slept: the task goes back to pending with next_attempt_at, and its slot is freed.
                    var delay = Backoff(task.Attempt, _rt.Options);
                    if (error.RetryAfter is { } retryAfter && retryAfter > delay)
                    {
                        // A rate limit says when asking again can succeed; sooner would only spend an attempt. Bounded, so
                        // that an absurd header cannot park a run for days.
                        delay = retryAfter < MaxRetryAfter ? retryAfter : MaxRetryAfter;
                    }
                    _rt.Logger.LogWarning("Task {TaskRunId} failed transiently on attempt {Attempt}, retrying in {Delay} ms: {Error}",
                        task.Id, task.Attempt, (int)delay.TotalMilliseconds, error.Message);
                    await _rt.Lease.ScheduleRetryAsync(RunId, task.Id, error.Message, delay, token);
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
            var again = TaskErrors.Classify(ex, timedOut: false, _rt.Options.TaskTimeoutSeconds, token);
            if (again.Kind != TaskErrorKind.Cancelled)
                return Lost(task, again.Message);
            if (started && Reason is StopReason.Shutdown or StopReason.LeaseAtRisk)
                await ReturnToPendingAsync(task);
            return new TaskOutcome(OutcomeKind.Stopped, null, null, task.Attempt);
        }
    }

    private async Task<TaskOutcome> FailAsync(TaskRun task, string error, Stopwatch clock, CancellationToken token)
    {
        await _rt.Lease.FailTaskAsync(RunId, task.Id, error, token);
        _rt.Metrics.TaskFinished(RunStatus.Failed, clock.Elapsed);
        _rt.Logger.LogWarning("Task {TaskRunId} ({Operation}) failed: {Error}", task.Id, task.OperationName, error);
        return new TaskOutcome(OutcomeKind.Failed, null, error, task.Attempt);
    }

    /// <summary>The run is no longer ours (the fence refused a write, or nothing can be recorded): stop everything.</summary>
    private TaskOutcome Lost(TaskRun task, string reason)
    {
        _rt.Logger.LogWarning("Run {RunId}: {Reason}; stopping its work", RunId, reason);
        Stop(StopReason.Abandon);
        return new TaskOutcome(OutcomeKind.Stopped, null, null, task.Attempt);
    }

    private async Task ReturnToPendingAsync(TaskRun task)
    {
        try
        {
            // The run's token is already cancelled; this last write gets a short budget of its own.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _rt.Lease.ReturnTaskToPendingAsync(RunId, task.Id, timeout.Token);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            // It stays in progress; whoever takes the run over attempts it again.
            _rt.Logger.LogWarning(ex, "Could not hand task {TaskRunId} back", task.Id);
        }
    }

    private async Task ReleaseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _rt.Lease.ReleaseAsync(RunId, timeout.Token);
            _rt.Logger.LogInformation("Released run {RunId} so another instance can continue it", RunId);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            _rt.Logger.LogWarning(ex, "Could not release run {RunId}; it is taken over when its lease expires", RunId);
        }
    }

    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromHours(1);

    /// <summary>Exponential back-off with equal jitter: half the delay fixed, half random, so retries of many tasks spread out.</summary>
    internal static TimeSpan Backoff(int attempt, EngineOptions options)
    {
        var exponential = options.RetryBaseDelayMilliseconds * Math.Pow(2, Math.Max(0, attempt - 1));
        var capped = Math.Min(exponential, options.RetryMaxDelayMilliseconds);
#pragma warning disable CA5394 // jitter needs no cryptographic randomness
        var jittered = (capped / 2) + (Random.Shared.NextDouble() * capped / 2);
#pragma warning restore CA5394
        return TimeSpan.FromMilliseconds(jittered);
    }

    private static TaskRun Copy(TaskRun t) => new()
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
    };
}
