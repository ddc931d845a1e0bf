using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Neena.Agent.Preparation;
using Neena.Integrations;
using Neena.Persistence;
using Neena.Persistence.FlowRuns;
using Npgsql;

namespace Neena.Engine;

/// <summary>
/// One engine instance: claims approved runs under a lease, executes them and keeps the leases alive. Several instances
/// (processes, or several engines in one process as tests do) share the database safely: claims skip locked rows and
/// every write is fenced on the lease. Wake-ups come from PostgreSQL notifications; polling is only the fallback.
/// </summary>
public sealed partial class FlowRunEngine : BackgroundService
{
    private readonly IServiceScopeFactory _scopes;
    private readonly NpgsqlDataSource _dataSource;
    private readonly EngineOptions _options;
    private readonly TaskPreparer _preparer;
    private readonly IntegrationCatalogue _catalogue;
    private readonly TaskInvoker _invoker;
    private readonly EngineMetrics _metrics;
    private readonly ILogger<FlowRunEngine> _logger;
    private readonly ILogger _taskLogger;
    private readonly RunLease _store;
    private readonly ApprovalAnnouncer _announcer;
    private readonly ConcurrentDictionary<Guid, RunWorker> _workers = new();

    // Runs named by approval notifications, claimed by id (and read in the same round trip) before any general claim.
    // Bounded: beyond it the general claim finds them anyway, oldest first.
    private readonly ConcurrentQueue<Guid> _notified = new();
    private int _notifiedCount;
    private readonly WakeSignal _wake = new();
    private readonly CancellationTokenSource _hardStop = new();
    private readonly SemaphoreSlim _taskGate;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FlowRunEngine(
        IServiceScopeFactory scopes,
        NpgsqlDataSource dataSource,
        IOptions<EngineOptions> options,
        TaskPreparer preparer,
        IntegrationCatalogue catalogue,
        TaskInvoker invoker,
        EngineMetrics metrics,
        ApprovalAnnouncer announcer,
        ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _scopes = scopes;
        _dataSource = dataSource;
        _options = options.Value.Clone();
        if (_options.Validate() is { } problem)
            throw new OptionsValidationException(EngineOptions.SectionName, typeof(EngineOptions), [problem]);
        _preparer = preparer;
        _catalogue = catalogue;
        _invoker = invoker;
        _metrics = metrics;
        _announcer = announcer;
        _logger = loggerFactory.CreateLogger<FlowRunEngine>();
        _taskLogger = loggerFactory.CreateLogger("Neena.Engine.Tasks");
        _store = new RunLease(dataSource, _options.InstanceId, _options.LeaseDuration);
        _taskGate = new SemaphoreSlim(_options.MaxConcurrentTasks, _options.MaxConcurrentTasks);
    }

    /// <summary>This instance's lease owner name.</summary>
    public string InstanceId => _options.InstanceId;

    /// <summary>Whether a worker of this instance still works on the run (tests wait for the engine to let go of a run).</summary>
    internal bool IsWorkingOn(Guid runId) => _workers.ContainsKey(runId);

    /// <summary>Runs named by approval notifications that this instance has not tried to claim yet (tests wait for none).</summary>
    internal int NotifiedRunsWaiting => Volatile.Read(ref _notifiedCount);

    /// <summary>Completes once the notification listener is connected (tests wait for it before relying on wake-ups).</summary>
    public Task Listening => _listening.Task;

    /// <summary>
    /// A separate engine instance on the services of a running host, with its own options (give it its own
    /// <see cref="EngineOptions.InstanceId"/>); start it with <see cref="BackgroundService.StartAsync"/>. This is how tests
    /// run several instances against one database in one process.
    /// </summary>
    public static FlowRunEngine Create(IServiceProvider services, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        return ActivatorUtilities.CreateInstance<FlowRunEngine>(services, Options.Create(options.Clone()));
    }

    /// <summary>As <see cref="Create(IServiceProvider, EngineOptions)"/>, with the engine's own SQL going through <paramref name="dataSource"/> (tests route it through a connection they can stall).</summary>
    internal static FlowRunEngine Create(IServiceProvider services, EngineOptions options, NpgsqlDataSource dataSource) =>
        ActivatorUtilities.CreateInstance<FlowRunEngine>(services, Options.Create(options.Clone()), dataSource);

    /// <summary>
    /// Dies as a crashed process would: all work stops at once and nothing more is written, leases included, so the
    /// runs are only taken over once their leases expire. For tests of take-over.
    /// </summary>
    internal async Task HaltAsync()
    {
        _store.Halt();
        foreach (var worker in _workers.Values)
            worker.Stop(StopReason.Abandon);
        await _hardStop.CancelAsync();
        await StopAsync(CancellationToken.None);
    }

    public override void Dispose()
    {
        base.Dispose();
        _hardStop.Dispose();
        _taskGate.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            _logger.LogInformation("The flow run engine is disabled (Engine:Enabled = false)");
            return;
        }

        await Task.Yield(); // let the host finish starting; the loop below runs for the life of the instance
        _logger.LogInformation("Flow run engine {InstanceId} started", InstanceId);
        var runtime = new EngineRuntime(_options, _store, _dataSource, _scopes, _preparer, _catalogue, _invoker, _metrics,
            _logger, _taskLogger, _taskGate, stoppingToken, _hardStop.Token);

        // Renewal outlives the claim loop: leases must stay alive while running tasks finish during the shutdown grace.
        using var renewalStop = new CancellationTokenSource();
        var renewal = KeepLeasesAsync(renewalStop.Token);
        // Approvals made by this process reach its engines in memory; their NOTIFYs, sent for other processes, are skipped.
        _announcer.Approved += OnApproved;
        var listener = ListenLoopAsync(stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var (claimedAll, nextDue) = await ClaimAsync(runtime, stoppingToken);
                if (claimedAll)
                    continue; // capacity was the limit and more may be waiting: claim again right away
                await _wake.WaitAsync(_options.PollInterval, nextDue, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Graceful stop requested.
        }
        finally
        {
            _announcer.Approved -= OnApproved;
            await DrainAsync();
            await renewalStop.CancelAsync();
            await Task.WhenAll(renewal, listener);
            _logger.LogInformation("Flow run engine {InstanceId} stopped", InstanceId);
        }
    }

    /// <summary>
    /// Claims up to the free capacity. Says whether it took as many runs as it had room for (more may be waiting), and how
    /// soon the nearest run waiting for a retry comes due.
    /// </summary>
    private async Task<(bool ClaimedAll, TimeSpan? NextDue)> ClaimAsync(EngineRuntime runtime, CancellationToken stoppingToken)
    {
        var free = _options.MaxConcurrentRuns - _workers.Count;
        if (free <= 0)
            return (false, null);
        if (await ClaimNotifiedAsync(runtime, free, stoppingToken))
            return (true, null); // look again at once: the general claim follows for the rest, and finds the next retry due

        List<ClaimedRun> claimed;
        TimeSpan? nextDue;
        var sentAt = Stopwatch.GetTimestamp();
        try
        {
            (claimed, nextDue) = await _store.ClaimAsync(free, [.. _workers.Keys], stoppingToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            _logger.LogWarning(ex, "Claiming runs failed; trying again at the next wake-up or poll");
            return (false, null);
        }

        foreach (var (runId, claimAttempts) in claimed)
            StartWorker(runtime, runId, claimAttempts, sentAt, snapshot: null);
        return (claimed.Count > 0 && claimed.Count == free, nextDue);
    }

    /// <summary>
    /// Claims the runs approval notifications named, each by id and read in the same round trip, so an approved run
    /// starts without a general claim and a second look-up. A run that is no longer claimable is skipped. True when
    /// any was claimed.
    /// </summary>
    private async Task<bool> ClaimNotifiedAsync(EngineRuntime runtime, int free, CancellationToken stoppingToken)
    {
        var started = 0;
        while (started < free && _notified.TryDequeue(out var runId))
        {
            Interlocked.Decrement(ref _notifiedCount);
            if (_workers.ContainsKey(runId))
                continue;
            var sentAt = Stopwatch.GetTimestamp();
            try
            {
                if (await RunLoader.ClaimAndLoadAsync(_dataSource, _store, runId, stoppingToken) is not { } claimed)
                    continue;
                StartWorker(runtime, claimed.Claim.Id, claimed.Claim.ClaimAttempts, sentAt, claimed.Snapshot);
                started++;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                // Whether the claim happened is unknown; if it did, the lease runs out and the run is taken over.
                _logger.LogWarning(ex, "Claiming the approved run {RunId} failed; the general claim looks again", runId);
                break;
            }
        }
        return started > 0;
    }

    private void StartWorker(EngineRuntime runtime, Guid runId, int claimAttempts, long sentAt, RunSnapshot? snapshot)
    {
        var worker = new RunWorker(runId, claimAttempts, runtime, sentAt, snapshot);
        _workers[runId] = worker;
        _logger.LogInformation("Claimed run {RunId}", runId);
        worker.Start();
        _ = worker.Completion.ContinueWith(
            _ =>
            {
                _workers.TryRemove(new KeyValuePair<Guid, RunWorker>(runId, worker));
                worker.Dispose();
                Wake(); // capacity freed
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void Wake() => _wake.Wake();

    /// <summary>No new claims any more; running tasks get the grace period, then are cancelled and handed back.</summary>
    private async Task DrainAsync()
    {
        var running = _workers.Values.Select(w => w.Completion).ToList();
        if (running.Count == 0)
            return;
        _logger.LogInformation("Waiting up to {Grace} s for {Count} run(s) to reach a stopping point", _options.ShutdownGraceSeconds, running.Count);
        try
        {
            await Task.WhenAll(running).WaitAsync(_options.ShutdownGrace);
        }
        catch (TimeoutException)
        {
            await _hardStop.CancelAsync(); // workers return interrupted tasks to pending and release their leases
            try
            {
                await Task.WhenAll(_workers.Values.Select(w => w.Completion)).WaitAsync(TimeSpan.FromSeconds(15));
            }
            catch (TimeoutException)
            {
                _logger.LogWarning("Some runs did not stop in time; their leases expire and other instances take them over");
            }
        }
    }

    /// <summary>Hears approvals and cancellations through the process's listening session.</summary>
    private Task ListenLoopAsync(CancellationToken cancellationToken) =>
        Hub().ListenAsync(
            [FlowRunNotifications.Approved, FlowRunNotifications.Cancelled],
            OnNotification,
            () =>
            {
                _listening.TrySetResult();
                Wake(); // notifications sent while not listening are lost: look once
            },
            cancellationToken);

    private NotificationHub Hub()
    {
        using var scope = _scopes.CreateScope();
        return scope.ServiceProvider.GetRequiredService<NotificationHub>();
    }

    private void OnApproved(Guid runId)
    {
        if (Interlocked.Increment(ref _notifiedCount) <= _options.MaxConcurrentRuns)
            _notified.Enqueue(runId);
        else
            Interlocked.Decrement(ref _notifiedCount);
        Wake();
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (e.Channel == FlowRunNotifications.Approved)
        {
            if (!ApprovalAnnouncer.TryParse(e.Payload, out var origin, out var approved))
                Wake();
            else if (origin != _announcer.Origin)
                OnApproved(approved);
        }
        else if (e.Channel == FlowRunNotifications.Cancelled && Guid.TryParse(e.Payload, out var runId) && _workers.TryGetValue(runId, out var worker))
        {
            _logger.LogInformation("Run {RunId} was cancelled; stopping its tasks", runId);
            worker.Stop(StopReason.Abandon);
        }
    }
}
