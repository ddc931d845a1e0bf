namespace Neena.Api.Services.Triggers;

public static class WebhookServiceCollectionExtensions
{
    /// <summary>
    /// The webhook receiver and the trigger run processor (configuration section <c>Webhooks</c>). The hosted processor is
    /// left out when the configuration already says <c>Webhooks:ProcessorEnabled = false</c>; since some hosts (tests) add
    /// configuration after registration, it also checks the bound value when it starts.
    /// </summary>
    public static IServiceCollection AddNeenaWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<WebhookOptions>()
            .BindConfiguration(WebhookOptions.SectionName)
            .Validate(o => o.Validate() is null, "Invalid Webhooks settings: check Webhooks:* values (PublicBaseUrl an absolute http(s) URL, durations positive, counts at least 1).")
            .ValidateOnStart();
        services.AddSingleton<WebhookUrls>();
        services.AddScoped<WebhookReceiver>();
        services.AddScoped<TriggerRunLauncher>();
        if (configuration.GetSection(WebhookOptions.SectionName).GetValue(nameof(WebhookOptions.ProcessorEnabled), true))
            services.AddHostedService<TriggerRunProcessor>();
        return services;
    }
}
