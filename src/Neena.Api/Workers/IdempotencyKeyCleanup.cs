using Microsoft.Extensions.Options;
using Neena.Api.Idempotency;
using Neena.Persistence.Idempotency;

namespace Neena.Api.Workers;

/// <summary>Deletes expired idempotency keys now and then (every instance may; the DELETEs do not conflict).</summary>
internal sealed class IdempotencyKeyCleanup(IdempotencyKeys store, IOptions<IdempotencyOptions> options, TimeProvider time, ILogger<IdempotencyKeyCleanup> logger) : BackgroundService
{
    private const int BatchSize = 1000;

    public Task<int> DeleteExpiredAsync(CancellationToken cancellationToken) => store.DeleteExpiredAsync(BatchSize, cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMinutes(Math.Max(options.Value.CleanupIntervalMinutes, 0.01));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, time, stoppingToken);
                var deleted = await DeleteExpiredAsync(stoppingToken);
                if (deleted > 0)
                    logger.LogInformation("Deleted {Count} expired idempotency keys", deleted);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                logger.LogWarning(e, "Could not delete expired idempotency keys; trying again later");
            }
        }
    }
}
