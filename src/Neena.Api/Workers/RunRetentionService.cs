using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Neena.Persistence.FlowRuns;
using Npgsql;

namespace Neena.Api.Workers;

/// <summary>Settings of run retention (section <c>Retention</c>).</summary>
public sealed class RetentionOptions
{
    public const string SectionName = "Retention";

    /// <summary>Finished runs that ended more than this many days ago are deleted; 0 keeps every run for ever (the default).</summary>
    public double FlowRunDays { get; set; }

    /// <summary>Minutes between passes.</summary>
    public double IntervalMinutes { get; set; } = 60;

    /// <summary>Runs deleted per statement: short transactions, so that the engine and the API never wait long on them.</summary>
    public int BatchSize { get; set; } = 500;
}

/// <summary>
/// Deletes finished runs past <see cref="RetentionOptions.FlowRunDays"/> (with their task runs and flow results), in
/// batches, now and then. Every instance may run it: batches skip rows another instance has locked. Counts what it
/// deleted in <c>neena.retention.flow_runs.deleted</c> (meter <c>Neena.Operations</c>).
/// </summary>
internal sealed class RunRetentionService : BackgroundService
{
    public const string MeterName = "Neena.Operations";

    private readonly NpgsqlDataSource _dataSource;
    private readonly IOptions<RetentionOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RunRetentionService> _logger;
    private readonly Counter<long> _deleted;

    public RunRetentionService(NpgsqlDataSource dataSource, IOptions<RetentionOptions> options, TimeProvider time, IMeterFactory meters, ILogger<RunRetentionService> logger)
    {
        _dataSource = dataSource;
        _options = options;
        _time = time;
        _logger = logger;
        _deleted = meters.Create(MeterName).CreateCounter<long>("neena.retention.flow_runs.deleted", "{run}", "Finished flow runs deleted by retention (Retention:FlowRunDays).");
    }

    /// <summary>One pass: every batch until none is left; returns how many runs were deleted (0 when retention is off).</summary>
    public async Task<int> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        var settings = _options.Value;
        if (settings.FlowRunDays <= 0)
            return 0;
        var cutoff = _time.GetUtcNow().UtcDateTime - TimeSpan.FromDays(settings.FlowRunDays);
        var total = 0;
        while (true)
        {
            var deleted = await RunRetention.DeleteBatchAsync(_dataSource, cutoff, settings.BatchSize, cancellationToken);
            if (deleted > 0)
                _deleted.Add(deleted);
            total += deleted;
            if (deleted < settings.BatchSize)
                break;
        }
        if (total > 0)
            _logger.LogInformation("Retention deleted {Count} flow runs that ended before {Cutoff:o} (Retention:FlowRunDays = {Days})", total, cutoff, settings.FlowRunDays);
        return total;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.Value.FlowRunDays <= 0)
            return;
        var interval = TimeSpan.FromMinutes(_options.Value.IntervalMinutes);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await DeleteExpiredAsync(stoppingToken);
                await Task.Delay(interval, _time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                _logger.LogWarning(e, "Retention could not delete old flow runs; trying again in {Minutes} min", interval.TotalMinutes);
                try
                {
                    await Task.Delay(interval, _time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
