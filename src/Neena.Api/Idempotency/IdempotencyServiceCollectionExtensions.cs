namespace Neena.Api.Idempotency;

/// <summary>Idempotency keys for the API's writes; their cleanup is a background worker (<c>AddBackgroundWorkers</c>).</summary>
internal static class IdempotencyServiceCollectionExtensions
{
    public static IServiceCollection AddNeenaIdempotency(this IServiceCollection services)
    {
        services.AddOptions<IdempotencyOptions>().BindConfiguration(IdempotencyOptions.SectionName)
            .Validate(o => o.RetentionHours > 0 && o.WaitSeconds >= 0 && o.ReservationMinutes > 0 && o.CleanupIntervalMinutes > 0,
                "Invalid Idempotency settings: RetentionHours, ReservationMinutes and CleanupIntervalMinutes must be positive, WaitSeconds not negative.")
            .ValidateOnStart();
        services.AddSingleton<Neena.Persistence.Idempotency.IdempotencyKeys>();
        services.AddSingleton<IdempotencyFilter>();
        return services;
    }
}
