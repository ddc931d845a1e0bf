using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Neena.Engine;

/// <summary>The engine instance's keeping of its runs' leases: renewal, and stopping runs whose lease is at risk.</summary>
public sealed partial class FlowRunEngine
{
    /// <summary>
    /// Renews the leases every third of their duration and stops every run whose lease was last confirmed two thirds of a
    /// lease ago. A renewal may hang (a stalled connection, a lock): it runs beside this loop with a short time limit, so
    /// the check keeps its pace and work stops well before another instance may take a run over.
    /// </summary>
    private async Task KeepLeasesAsync(CancellationToken cancellationToken)
    {
        var renewal = Task.CompletedTask;
        var lastRenewal = Stopwatch.GetTimestamp();
        using var timer = new PeriodicTimer(_options.LeaseCheckInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                StopRunsWithLeasesAtRisk();
                if (renewal.IsCompleted && Stopwatch.GetElapsedTime(lastRenewal) >= _options.RenewInterval)
                {
                    lastRenewal = Stopwatch.GetTimestamp();
                    renewal = RenewOnceAsync(cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Engine stopped.
        }
        await renewal;
    }

    private void StopRunsWithLeasesAtRisk()
    {
        foreach (var worker in _workers.Values)
        {
            if (worker.LeaseAge >= _options.LeaseSafetyLimit && worker.Stop(StopReason.LeaseAtRisk))
            {
                _logger.LogError(
                    "The lease of run {RunId} was last confirmed {Seconds:F1} s ago (lease {Lease} s); stopping its tasks and handing it back before another instance may take it over",
                    worker.RunId, worker.LeaseAge.TotalSeconds, _options.LeaseSeconds);
            }
        }
    }

    /// <summary>One renewal of every run this instance works on; never throws.</summary>
    private async Task RenewOnceAsync(CancellationToken cancellationToken)
    {
        var workers = _workers.Values.Where(w => !w.Stopping).ToList();
        if (workers.Count == 0)
            return;
        var sentAt = Stopwatch.GetTimestamp();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(_options.RenewTimeout);
        var renewing = _store.RenewAsync([.. workers.Select(w => w.RunId)], limit.Token);
        try
        {
            // Cancelling a command on a stalled connection can itself take a while; this waits no longer than the limit.
            var renewed = await renewing.WaitAsync(_options.RenewTimeout, cancellationToken);
            foreach (var worker in workers)
            {
                if (renewed.Contains(worker.RunId))
                    worker.LeaseConfirmed(sentAt);
                else
                    worker.Stop(StopReason.Abandon); // cancelled through the API, finished a moment ago, or taken over
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Engine stopped.
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException or OperationCanceledException)
        {
            _logger.LogWarning(ex, "Renewing run leases failed or took longer than {Limit} ms; runs whose lease is not confirmed in time are stopped",
                (int)_options.RenewTimeout.TotalMilliseconds);
        }
        finally
        {
            // A renewal given up on may still fail later; observe it so it is not reported as unobserved.
            _ = renewing.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }
}
