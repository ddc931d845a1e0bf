using Neena.Persistence.FlowRuns;

namespace Neena.Api.RunEvents;

/// <summary>
/// The instance's registration as a listener of run events (<see cref="RunEventListeners"/>): run status changes are
/// announced only while some instance has streams open. The first stream waits for the registration before it reads
/// the run; the registration is renewed while streams are open and ended once none has been for a renewal period.
/// </summary>
internal sealed partial class RunEventHub
{
    /// <summary>How often the registration is renewed (and checked for streams); it lives three times as long.</summary>
    internal static readonly TimeSpan RenewInterval = TimeSpan.FromSeconds(20);

    private readonly string _instance = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly SemaphoreSlim _registrationGate = new(1, 1);
    private Task? _registration;

    private static TimeSpan Lifetime => RenewInterval * 3;

    /// <summary>
    /// Completes once changes are announced to this instance: a run read after it misses no change (each is in the read
    /// or announced). If the registration fails, the stream goes on anyway: its heartbeat re-reads the run.
    /// </summary>
    public async Task RegisteredAsync(CancellationToken cancellationToken)
    {
        Task registration;
        lock (_lock)
        {
            if (_registration is null || _registration.IsFaulted || _registration.IsCanceled)
                _registration = RegisterAsync();
            registration = _registration;
        }
        try
        {
            await registration.WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Could not register for run events; streams re-read their runs at each heartbeat until it works");
        }
    }

    private async Task RegisterAsync()
    {
        await _registrationGate.WaitAsync();
        try
        {
            await RunEventListeners.RegisterAsync(dataSource, _instance, Lifetime, CancellationToken.None);
        }
        finally
        {
            _registrationGate.Release();
        }
    }

    private async Task MaintainRegistrationAsync(CancellationToken stoppingToken)
    {
        var emptyBefore = false;
        try
        {
            while (true)
            {
                await Task.Delay(RenewInterval, stoppingToken);
                await _registrationGate.WaitAsync(stoppingToken);
                try
                {
                    bool open, registered;
                    lock (_lock)
                    {
                        open = _open > 0;
                        registered = _registration is { IsCompletedSuccessfully: true };
                        // Empty for a whole period: the registration ends (a stream opening now registers again, after this).
                        if (!open && emptyBefore && registered)
                            _registration = null;
                    }
                    if (registered && open)
                        await RunEventListeners.RenewAsync(dataSource, _instance, Lifetime, stoppingToken);
                    else if (registered && emptyBefore)
                        await RunEventListeners.UnregisterAsync(dataSource, _instance, stoppingToken);
                    emptyBefore = !open;
                }
#pragma warning disable CA1031 // A failed renewal is tried again next period; the registration outlives two failures.
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(e, "Could not renew the registration for run events; trying again in {Seconds} s", RenewInterval.TotalSeconds);
                }
#pragma warning restore CA1031
                finally
                {
                    _registrationGate.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the registration ends with the instance (it would expire on its own).
        }
        try
        {
            if (_registration is not null)
                await RunEventListeners.UnregisterAsync(dataSource, _instance, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        }
#pragma warning disable CA1031 // Best effort: an unremoved registration expires.
        catch (Exception e)
        {
            logger.LogDebug(e, "Could not end the registration for run events at shutdown");
        }
#pragma warning restore CA1031
    }
}
