using Microsoft.Extensions.Options;
namespace Neena.Api.Services.Triggers;

public static class WebhookServiceCollectionExtensions
{
    /// <summary>
    /// The webhook receiver and its settings (configuration section <c>Webhooks</c>); the trigger run processor is a
    /// background worker (<c>AddBackgroundWorkers</c>).
    /// </summary>
    public static IServiceCollection AddNeenaWebhooks(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>()
            .BindConfiguration(WebhookOptions.SectionName)
            .ValidateOnStart();
        // The failure names the exact setting and what it must be, so start-up says what to fix.
        services.AddSingleton<IValidateOptions<WebhookOptions>>(new WebhookOptionsValidation());
        services.AddSingleton<WebhookUrls>();
        services.AddSingleton<WebhookRateLimits>();
        services.AddScoped<WebhookReceiver>();
        return services;
    }
}

internal sealed class WebhookOptionsValidation : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options) =>
        options.Validate() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
