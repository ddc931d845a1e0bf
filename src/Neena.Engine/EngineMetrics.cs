using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Neena.Persistence.FlowRuns;
using Npgsql;

namespace Neena.Engine;

/// <summary>
/// The engine's instruments (meter <c>Neena.Engine</c>). One per process, shared by every engine instance in it, so that
/// exporters see one series per instrument.
/// </summary>
public sealed class EngineMetrics : IDisposable
{
    public const string MeterName = "Neena.Engine";

    // The queue depth is a database query: callbacks come from exporters at their own pace, so the value is cached.
    private static readonly TimeSpan QueueDepthMaxAge = TimeSpan.FromSeconds(5);

    private readonly Meter _meter;
    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<EngineMetrics> _logger;
    private readonly Counter<long> _runsStarted;
    private readonly Counter<long> _runsFinished;
    private readonly Counter<long> _tasksFinished;
    private readonly Histogram<double> _taskDuration;
    private long _queueDepth;
    private long _queueDepthRefreshedAt; // Stopwatch timestamp; 0 = never
    private int _refreshing;

    public EngineMetrics(IMeterFactory meterFactory, NpgsqlDataSource dataSource, ILogger<EngineMetrics> logger)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _dataSource = dataSource;
        _logger = logger;
        _meter = meterFactory.Create(MeterName);
        _runsStarted = _meter.CreateCounter<long>("neena.engine.runs.started", "{run}", "Runs an engine instance started working on (claims, take-overs included), by instance.");
        _runsFinished = _meter.CreateCounter<long>("neena.engine.runs.finished", "{run}", "Runs an engine finished, by outcome (completed, failed).");
        _tasksFinished = _meter.CreateCounter<long>("neena.engine.tasks.finished", "{task}", "Task runs that ended, by outcome (completed, failed).");
        _taskDuration = _meter.CreateHistogram<double>("neena.engine.task.duration", "ms", "Duration of task runs from start to end, retries included.");
        _meter.CreateObservableGauge("neena.engine.queue.depth", ObserveQueueDepth, "{run}", "Approved runs in progress that no engine holds a live lease on.");
    }

    /// <summary>Tagged with the instance (a handful per deployment) so that the spread of work over instances is visible.</summary>
    internal void RunStarted(string instance) => _runsStarted.Add(1, new KeyValuePair<string, object?>("instance", instance));

    internal void RunFinished(string outcome) => _runsFinished.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    internal void TaskFinished(string outcome, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        _tasksFinished.Add(1, tag);
        _taskDuration.Record(duration.TotalMilliseconds, tag);
    }

    public void Dispose() => _meter.Dispose();

    private long ObserveQueueDepth()
    {
        var refreshedAt = Interlocked.Read(ref _queueDepthRefreshedAt);
        var stale = refreshedAt == 0 || Stopwatch.GetElapsedTime(refreshedAt) > QueueDepthMaxAge;
        if (stale && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
        {
            // Refreshed in the background: an observable callback must not block the exporter on the database.
            _ = RefreshQueueDepthAsync();
        }
        return Interlocked.Read(ref _queueDepth);
    }

    private async Task RefreshQueueDepthAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Interlocked.Exchange(ref _queueDepth, await RunLease.QueueDepthAsync(_dataSource, timeout.Token));
            Interlocked.Exchange(ref _queueDepthRefreshedAt, Stopwatch.GetTimestamp());
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            _logger.LogDebug(ex, "Could not refresh the engine queue depth");
        }
        finally
        {
            Interlocked.Exchange(ref _refreshing, 0);
        }
    }
}
