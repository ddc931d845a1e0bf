using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Neena.Domain.FlowRuns;
using Neena.Persistence.FlowRuns;


namespace Neena.Engine;

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

    internal StopReason Reason => Volatile.Read(ref _stopReason) is var r && r != 0
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
            if (snapshot is null || !snapshot.Workable)
            {
                finished = true; // cancelled or finished between the claim and now: nothing to do
                return;
            }
            finished = await new RunScheduler(this, _rt).ExecuteAsync(snapshot, token);
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
            if (await _rt.Lease.FinishRunAsync(RunId, RunStateMachine.Fail.To, message, timeout.Token))
            {
                _rt.Metrics.RunFinished(RunStateMachine.Fail.To);
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

}
