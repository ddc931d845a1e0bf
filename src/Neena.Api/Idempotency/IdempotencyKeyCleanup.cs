using Microsoft.Extensions.Options;
using Neena.Persistence.Idempotency;

namespace Neena.Api.Idempotency;

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

internal static class IdempotencyServiceCollectionExtensions
{
    public static IServiceCollection AddNeenaIdempotency(this IServiceCollection services)
    {
        services.AddOptions<IdempotencyOptions>().BindConfiguration(IdempotencyOptions.SectionName)
            .Validate(o => o.RetentionHours > 0 && o.WaitSeconds >= 0 && o.ReservationMinutes > 0 && o.CleanupIntervalMinutes > 0,
                "Invalid Idempotency settings: RetentionHours, ReservationMinutes and CleanupIntervalMinutes must be positive, WaitSeconds not negative.")
            .ValidateOnStart();
        services.AddSingleton<IdempotencyKeys>();
        services.AddScoped<IdempotencyFilter>();
        services.AddSingleton<IdempotencyKeyCleanup>();
        services.AddHostedService(sp => sp.GetRequiredService<IdempotencyKeyCleanup>());
        return services;
    }
}
