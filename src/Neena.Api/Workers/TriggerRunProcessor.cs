using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Neena.Api.Services.Triggers;
using Neena.Engine;
using Neena.Persistence;
using Neena.Persistence.FlowRuns;
using Neena.Persistence.Triggers;
using Npgsql;

namespace Neena.Api.Workers;

/// <summary>
/// Processes received deliveries durably in the background: claims trigger runs under a lease (the engine's instance id as
/// owner; claims skip locked rows, so instances share the work), and has each made into a flow request and an approved run by
/// <see cref="TriggerRunLauncher"/>. A delivery wakes it at once (NOTIFY); polling finds what notifications missed, retries
/// that came due and the trigger runs of a crashed instance once their lease has expired. Work on a claim stops at two
/// thirds of its lease, so a slow instance never overlaps the one that takes over. Transient failures are retried with
/// backoff, a bounded number of times; permanent ones fail the trigger run with the reason.
/// </summary>
public sealed class TriggerRunProcessor : BackgroundService
{
    private readonly IServiceScopeFactory _scopes;
    private readonly NpgsqlDataSource _dataSource;
    private readonly NotificationHub _hub;
    private readonly WebhookOptions _options;
    private readonly TriggerRunLease _queue;
    private readonly ILogger<TriggerRunProcessor> _logger;
    private readonly ConcurrentDictionary<Guid, Task> _working = new();
    private readonly WakeSignal _wake = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TriggerRunProcessor(
        IServiceScopeFactory scopes,
        NpgsqlDataSource dataSource,
        NotificationHub hub,
        IOptions<WebhookOptions> options,
        IOptions<EngineOptions> engine,
        ILogger<TriggerRunProcessor> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(engine);
        _scopes = scopes;
        _dataSource = dataSource;
        _hub = hub;
        _options = options.Value;
        _logger = logger;
        _queue = new TriggerRunLease(dataSource, engine.Value.InstanceId, _options.Lease);
    }

    /// <summary>This instance's lease owner name (the engine's instance id).</summary>
    public string InstanceId => _queue.Owner;

    /// <summary>Completes once the notification listener is connected (tests wait for it before relying on wake-ups).</summary>
    public Task Listening => _listening.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.ProcessorEnabled)
        {
            _logger.LogInformation("The trigger run processor is disabled (Webhooks:ProcessorEnabled = false)");
            return;
        }

        await Task.Yield();
        _logger.LogInformation("Trigger run processor {InstanceId} started", InstanceId);
        var listener = ListenLoopAsync(stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var (claimedAll, nextDue) = await ClaimAsync(stoppingToken);
                if (!claimedAll)
                    await _wake.WaitAsync(_options.PollInterval, nextDue, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Graceful stop.
        }
        finally
        {
            // Work in hand sees the stop and hands its trigger runs back.
            await Task.WhenAll(_working.Values);
            await listener;
            _logger.LogInformation("Trigger run processor {InstanceId} stopped", InstanceId);
        }
    }

    private async Task<(bool ClaimedAll, TimeSpan? NextDue)> ClaimAsync(CancellationToken stoppingToken)
    {
        var free = _options.MaxConcurrency - _working.Count;
        if (free <= 0)
            return (false, null);
        List<ClaimedTriggerRun> claimed;
        TimeSpan? nextDue;
        try
        {
            (claimed, nextDue) = await _queue.ClaimAsync(free, stoppingToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            _logger.LogWarning(ex, "Claiming trigger runs failed; trying again at the next wake-up or poll");
            return (false, null);
        }

        foreach (var item in claimed)
        {
            // Registered before it starts, so that its ending (which unregisters it) cannot come first.
            var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var work = Task.Run(async () =>
            {
                await registered.Task;
                await ProcessAsync(item, stoppingToken);
            }, CancellationToken.None);
            _working[item.Id] = work;
            registered.SetResult();
            _ = work.ContinueWith(
                _ =>
                {
                    _working.TryRemove(item.Id, out var _);
                    Wake(); // capacity freed
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
        return (claimed.Count > 0 && claimed.Count == free, nextDue);
    }

    /// <summary>One claimed trigger run, start to end; never throws.</summary>
    private async Task ProcessAsync(ClaimedTriggerRun claimed, CancellationToken stoppingToken)
    {
        if (claimed.Attempts > _options.MaxAttempts)
        {
            // Claimed this often without an ending: earlier claims crashed or kept failing.
            await EndAsync(claimed, permanent: true,
                GaveUp(claimed.LastError ?? "processing never finished (the server stopped or crashed while processing it)"), null);
            return;
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        limit.CancelAfter(_options.WorkLimit);
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            var launcher = scope.ServiceProvider.GetRequiredService<TriggerRunLauncher>();
            var (request, run) = await launcher.LaunchAsync(claimed.Id, _queue, limit.Token);
            _logger.LogInformation("Trigger run {TriggerRunId} started flow run {FlowRunId} for flow request {FlowRequestId}", claimed.Id, run, request);
        }
        catch (TriggerRunFailedException failure)
        {
            _logger.LogWarning("Trigger run {TriggerRunId} failed ({Kind}): {Reason}", claimed.Id, failure.Permanent ? "permanently" : "for now", failure.Message);
            await EndAsync(claimed, failure.Permanent, failure.Message, failure.RetryAfter);
        }
        catch (LeaseLostException)
        {
            _logger.LogWarning("Trigger run {TriggerRunId} was taken over by another instance before it was processed here; nothing was written", claimed.Id);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await GuardAsync(claimed.Id, () => _queue.ReleaseAsync(claimed.Id, CancellationToken.None));
        }
        catch (OperationCanceledException)
        {
            await EndAsync(claimed, permanent: false, $"Processing took longer than {_options.WorkLimit.TotalSeconds:0} s.", null);
        }
#pragma warning disable CA1031 // A background worker must survive any failure of one item; the item is retried, bounded.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "Processing trigger run {TriggerRunId} failed unexpectedly", claimed.Id);
            await EndAsync(claimed, permanent: false, "Processing failed unexpectedly (see the server's log).", null);
        }
    }

    /// <summary>Fails the trigger run, or hands it back for a retry after the backoff (failed once the attempts are used up).</summary>
    private Task EndAsync(ClaimedTriggerRun claimed, bool permanent, string error, TimeSpan? retryAfter)
    {
        if (permanent)
            return GuardAsync(claimed.Id, () => _queue.FailAsync(claimed.Id, error, CancellationToken.None));
        if (claimed.Attempts >= _options.MaxAttempts)
            return GuardAsync(claimed.Id, () => _queue.FailAsync(claimed.Id, GaveUp(error), CancellationToken.None));
        var delay = _options.RetryDelay(claimed.Attempts);
        if (retryAfter > delay)
            delay = retryAfter.Value;
        return GuardAsync(claimed.Id, () => _queue.RetryLaterAsync(claimed.Id, error, delay, CancellationToken.None));
    }

    private string GaveUp(string error) => $"Gave up after {_options.MaxAttempts} attempt{(_options.MaxAttempts == 1 ? "" : "s")}: {error}";

    /// <summary>A write after the work; if it fails (the database is away) the lease expires and the trigger run is claimed again.</summary>
    private async Task GuardAsync(Guid id, Func<Task<bool>> write)
    {
        try
        {
            if (!await write())
                _logger.LogWarning("Trigger run {TriggerRunId} is no longer held by this instance; its outcome was not recorded here", id);
        }
#pragma warning disable CA1031 // Whatever went wrong, the lease expires and the trigger run is claimed again: the worker must not die.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogWarning(ex, "Recording the outcome of trigger run {TriggerRunId} failed; it is claimed again once its lease expires", id);
        }
    }

    private void Wake() => _wake.Wake();

    /// <summary>Keeps a connection listening for received deliveries, reconnecting with back-off (polling covers the gaps).</summary>
    private Task ListenLoopAsync(CancellationToken cancellationToken) =>
        _hub.ListenAsync(
            [TriggerRunNotifications.Received],
            (_, _) => Wake(),
            () =>
            {
                _listening.TrySetResult();
                Wake(); // deliveries stored while not listening were announced to nobody: look once
            },
            cancellationToken);
}
