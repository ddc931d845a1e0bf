using System.Collections.Concurrent;
using Neena.Persistence.Identity;
using Npgsql;

namespace Neena.Api.Workers;

/// <summary>
/// API keys' <c>last_used_at</c>, written off the request path: requests record a use (at most one per key per
/// resolution, see <see cref="Auth.ApiKeyAuthenticationHandler"/>) and this service writes what was recorded every few
/// seconds in one statement, and once more when the server stops. The column is a hint of recent use, not an audit log.
/// </summary>
internal sealed class ApiKeyUsage(NpgsqlDataSource dataSource, ILogger<ApiKeyUsage> logger) : BackgroundService
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(5);
    private ConcurrentDictionary<Guid, DateTime> _pending = new();

    public void Record(Guid keyId, DateTime usedAt) =>
        _pending.AddOrUpdate(keyId, usedAt, (_, known) => known > usedAt ? known : usedAt);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await FlushAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync writes what is left.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_pending.IsEmpty)
            return;
        var batch = Interlocked.Exchange(ref _pending, new ConcurrentDictionary<Guid, DateTime>());
        var ids = batch.Keys.ToArray();
        var times = ids.Select(id => batch[id]).ToArray();
        try
        {
            await ApiKeyCommands.RecordUsesAsync(dataSource, ids, times, cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or OperationCanceledException)
        {
            // A hint: losing one round of it is better than retrying against a database that is in trouble.
            logger.LogWarning(e, "Recording the last use of {Count} API key(s) failed", ids.Length);
        }
    }
}
