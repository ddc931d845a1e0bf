using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Neena.Integrations.Http;

namespace Neena.Integrations;

public static class IntegrationServiceCollectionExtensions
{
    /// <summary>
    /// Registers the task invoker, the built-in catalogue and the address-guarded HTTP client, binding
    /// <see cref="HttpIntegrationOptions"/> from the <c>Integrations:Http</c> section of <paramref name="configuration"/>
    /// (the application's root configuration) when one is given.
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
        services
            .AddHttpClient(HttpIntegration.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(provider =>
            {
                var monitor = provider.GetRequiredService<IOptionsMonitor<HttpIntegrationOptions>>();
                return GuardedHttpHandler.Create(() => AddressPolicy.From(monitor.CurrentValue));
            })

            // The handler recycles its own connections (PooledConnectionLifetime); rotating handlers as well would only
            // throw pooled connections away.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);

        return services;
    }
}
