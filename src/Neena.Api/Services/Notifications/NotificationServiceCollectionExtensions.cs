using Neena.Api.Workers;

namespace Neena.Api.Services.Notifications;

internal static class NotificationServiceCollectionExtensions
{
    /// <summary>The subscriptions' service, the payload builder and the delivery worker (which checks <c>Notifications:Enabled</c> when it starts).</summary>
    public static IServiceCollection AddNotificationDelivery(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.SectionName)
            .Validate(o => o.Validate() is null, "Invalid Notifications settings (see docs/configuration.md: RetryBaseDelay, MaxRetryDelay, RetryWindow, Timeout, Lease, PollInterval, MaxConcurrency, MaxPerOrganization).")
            .ValidateOnStart();
        services.AddScoped<NotificationSubscriptionService>();
        services.AddScoped<NotificationPayloads>();
        services.AddHostedService<NotificationDeliveryWorker>();
        return services;
    }
}
