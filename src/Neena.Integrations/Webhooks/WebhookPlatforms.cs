using System.Reflection;
using Neena.Integrations.Core;

namespace Neena.Integrations.Webhooks;

/// <summary>
/// The registered platforms by the short name of the integration they serve. An integration without a platform of its own
/// receives deliveries in the core Incoming Webhook's generic scheme (Neena's or Standard Webhooks' signature).
/// </summary>
public sealed class WebhookPlatforms
{
    private readonly Dictionary<string, IWebhookPlatform> _byIntegration = new(StringComparer.Ordinal);
    private readonly IWebhookPlatform _generic;

    /// <exception cref="InvalidOperationException">A platform serves no integration, two serve the same one, or the generic one is missing.</exception>
    public WebhookPlatforms(IEnumerable<IWebhookPlatform> platforms)
    {
        ArgumentNullException.ThrowIfNull(platforms);
        foreach (var platform in platforms)
        {
            var name = ShortName(platform.Integration)
                ?? throw new InvalidOperationException($"{platform.GetType().Name} names {platform.Integration.Name}, which is not an [Integration] class.");
            if (!_byIntegration.TryAdd(name, platform))
                throw new InvalidOperationException($"Two webhook platforms serve the '{name}' integration.");
        }
        _generic = _byIntegration.GetValueOrDefault(ShortName(typeof(CoreIntegration))!)
            ?? throw new InvalidOperationException("The core Incoming Webhook's platform is not registered.");
    }

    /// <summary>The platform that receives the deliveries of an integration's triggers.</summary>
    public IWebhookPlatform For(string integrationShortName) => _byIntegration.GetValueOrDefault(integrationShortName) ?? _generic;

    private static string? ShortName(Type integration) => integration.GetCustomAttribute<IntegrationAttribute>(inherit: false)?.ShortName;
}
