using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Neena.Integrations.Credentials;
using Neena.Integrations.Http;
using Neena.Integrations.Platforms;
using Neena.Integrations.Slack;
using Neena.Integrations.Trello;
using Neena.Integrations.Webhooks;

namespace Neena.Integrations;

public static class IntegrationServiceCollectionExtensions
{
    /// <summary>
    /// Registers the task invoker, the built-in catalogue, the address-guarded HTTP client, the Slack and Trello clients and
    /// the credential protector, binding their options from the <c>Integrations:Http</c>, <c>Integrations:Slack</c> and
    /// <c>Integrations:Trello</c> sections of <paramref name="configuration"/> (the application's root configuration) when
    /// one is given. The protector needs ASP.NET Core Data Protection, whose key ring the host chooses. Every
    /// <see cref="IWebhookPlatform"/> of this assembly is registered, so a new platform is a new class.
    /// </summary>
    public static IServiceCollection AddNeenaIntegrations(this IServiceCollection services, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.TryAddSingleton<TaskInvoker>();
        services.TryAddSingleton(IntegrationCatalogue.BuiltIn);

        var options = services.AddOptions<HttpIntegrationOptions>();
        if (configuration is not null)
        {
            options.Bind(configuration.GetSection(HttpIntegrationOptions.SectionName));
        }

        options
            .Validate(o => o.MaxResponseBytes > 0, $"{HttpIntegrationOptions.SectionName}:MaxResponseBytes must be positive.")
            .Validate(o => o.MaxTimeoutSeconds > 0, $"{HttpIntegrationOptions.SectionName}:MaxTimeoutSeconds must be positive.")
            .Validate(
                o => o.AllowedNetworks.TrueForAll(n => System.Net.IPNetwork.TryParse(n.Trim(), out _)),
                $"{HttpIntegrationOptions.SectionName}:AllowedNetworks must hold CIDR ranges such as 10.0.0.0/8.")
            .ValidateOnStart();

        services.TryAddSingleton<GuardedHttpClientRegistration>();
        services.TryAddSingleton<HeaderFreeHttpLogger>();
        services
            .AddHttpClient(HttpIntegration.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(provider =>
            {
                var monitor = provider.GetRequiredService<IOptionsMonitor<HttpIntegrationOptions>>();
                return GuardedHttpHandler.Create(() => AddressPolicy.From(monitor.CurrentValue));
            })

            // The handler recycles its own connections (PooledConnectionLifetime); rotating handlers as well would only
            // throw pooled connections away.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)

            // A flow's headers may carry its secrets; the default loggers would put them into trace events.
            .RemoveAllLoggers()
            .AddLogger<HeaderFreeHttpLogger>();

        services.TryAddSingleton<CredentialProtector>();
        services.TryAddSingleton<Triggers.SigningSecretProtector>();
        services.TryAddSingleton<Notifications.NotificationSecretProtector>();
        services.TryAddSingleton<Notifications.NotificationUrlGuard>();
        AddPlatformClient<SlackClient, SlackOptions>(services, configuration, SlackOptions.SectionName);
        AddPlatformClient<TrelloClient, TrelloOptions>(services, configuration, TrelloOptions.SectionName);
        AddWebhookPlatforms(services);
        return services;
    }

    private static void AddWebhookPlatforms(IServiceCollection services)
    {
        var platforms = typeof(IWebhookPlatform).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IWebhookPlatform).IsAssignableFrom(t));
        foreach (var platform in platforms)
            services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IWebhookPlatform), platform));
        services.TryAddSingleton<WebhookPlatforms>();
    }

    private static void AddPlatformClient<TClient, TOptions>(IServiceCollection services, IConfiguration? configuration, string section)
        where TClient : class
        where TOptions : PlatformClientOptions
    {
        var options = services.AddOptions<TOptions>();
        if (configuration is not null)
            options.Bind(configuration.GetSection(section));
        options.Validate(o => o.Validate(section) is null, $"Invalid {section} settings: BaseUrl must be an absolute http(s) URL, timeouts and retry settings positive.")
            .ValidateOnStart();

        services
            .AddHttpClient<TClient>((provider, client) =>
            {
                client.BaseAddress = provider.GetRequiredService<IOptions<TOptions>>().Value.BaseAddress();

                // The resilience pipeline times each attempt; this outer limit would cut retries short.
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.MaxResponseContentBufferSize = MaxPlatformResponseBytes;
            })

            // The default loggers put header values (the credential) into trace events; this one logs no header at all.
            .RemoveAllLoggers()
            .AddLogger<HeaderFreeHttpLogger>()
            .AddPlatformResilience<TOptions>(section.Replace(':', '.'));
    }

    /// <summary>Largest answer a platform client reads; a board with thousands of cards stays well below it.</summary>
    private const int MaxPlatformResponseBytes = 16 * 1024 * 1024;
}
