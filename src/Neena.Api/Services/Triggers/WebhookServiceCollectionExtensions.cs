using Microsoft.Extensions.Options;
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
            .ValidateOnStart();
        // The failure names the exact setting and what it must be, so start-up says what to fix.
        services.AddSingleton<IValidateOptions<WebhookOptions>>(new WebhookOptionsValidation());
        services.AddSingleton<WebhookUrls>();
        services.AddSingleton<WebhookRateLimits>();
        services.AddScoped<WebhookReceiver>();
        services.AddScoped<TriggerRunLauncher>();
        if (configuration.GetSection(WebhookOptions.SectionName).GetValue(nameof(WebhookOptions.ProcessorEnabled), true))
            services.AddHostedService<TriggerRunProcessor>();
        return services;
    }
}

internal sealed class WebhookOptionsValidation : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options) =>
        options.Validate() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
