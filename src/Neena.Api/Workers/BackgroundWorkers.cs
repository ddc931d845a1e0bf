using Neena.Api.Services.Notifications;
using Neena.Api.Services.Triggers;
using Neena.Engine;

namespace Neena.Api.Workers;

/// <summary>
/// Every hosted worker of the API's process, registered here and nowhere else: the run engine, the trigger run processor,
/// the scheduler, run retention, the cleanup of idempotency keys, the batched writer of API key use, the connection budget check, the idle heap trim. A new
/// background worker goes in this folder and is added here; it takes application commands (<c>Neena.Api.Commands</c>)
/// with domain inputs, and acts for an organization through <see cref="Neena.Persistence.BackgroundTenantContext"/>.
/// </summary>
internal static class BackgroundWorkerServiceCollectionExtensions
{
    /// <summary>
    /// The workers, after the services they use (engine, webhooks, idempotency, persistence). The engine and the trigger run
    /// processor are left out when the configuration already says <c>Engine:Enabled = false</c> or
    /// <c>Webhooks:ProcessorEnabled = false</c>; since some hosts (tests) add configuration after registration, both also
    /// check the bound value when they start.
    /// </summary>
    public static IServiceCollection AddBackgroundWorkers(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration.GetSection(EngineOptions.SectionName).GetValue(nameof(EngineOptions.Enabled), true))
            services.AddHostedService<FlowRunEngine>();

        services.AddScoped<TriggerRunLauncher>();
        if (configuration.GetSection(WebhookOptions.SectionName).GetValue(nameof(WebhookOptions.ProcessorEnabled), true))
            services.AddHostedService<TriggerRunProcessor>();

        services.AddOptions<ScheduleOptions>().BindConfiguration(ScheduleOptions.SectionName)
            .Validate(o => o.MaxSleepSeconds is > 0 and <= 3600, "Invalid Schedules settings: MaxSleepSeconds 0…3600 (exclusive of 0).")
            .ValidateOnStart();
        if (configuration.GetSection(ScheduleOptions.SectionName).GetValue(nameof(ScheduleOptions.Enabled), true))
            services.AddHostedService<ScheduleTriggerScheduler>();

        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.SectionName)
            .Validate(o => o.FlowRunDays >= 0 && o.IntervalMinutes > 0 && o.BatchSize is > 0 and <= 100_000,
                "Invalid Retention settings: FlowRunDays ≥ 0 (0 keeps runs for ever), IntervalMinutes > 0, BatchSize 1…100000.")
            .ValidateOnStart();
        services.AddSingleton<RunRetentionService>();
        services.AddHostedService(sp => sp.GetRequiredService<RunRetentionService>());

        services.AddSingleton<IdempotencyKeyCleanup>();
        services.AddHostedService(sp => sp.GetRequiredService<IdempotencyKeyCleanup>());

        // Also a singleton: the API key handler records each use in it.
        services.AddSingleton<ApiKeyUsage>();
        services.AddHostedService(sp => sp.GetRequiredService<ApiKeyUsage>());

        services.AddNotificationDelivery();
        services.AddHostedService<ConnectionBudgetCheck>();

        services.AddOptions<IdleHeapTrimOptions>().BindConfiguration(IdleHeapTrimOptions.SectionName)
            .Validate(o => o.IdleSeconds is >= 1 and <= 3600 && o.ThresholdMb is >= 1 and <= 1_000_000,
                "Invalid Memory:IdleTrim settings: IdleSeconds 1…3600, ThresholdMb 1…1000000.")
            .ValidateOnStart();
        services.AddSingleton<IdleHeapTrim>();
        services.AddHostedService(sp => sp.GetRequiredService<IdleHeapTrim>());
        return services;
    }
}
