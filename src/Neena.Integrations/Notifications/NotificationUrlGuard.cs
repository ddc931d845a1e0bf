using Microsoft.Extensions.Options;
using Neena.Integrations.Http;

namespace Neena.Integrations.Notifications;

/// <summary>
/// Checks a notification subscription's URL as the HTTP task checks its destinations (the same address policy and the
/// same <c>Integrations:Http</c> allow-lists), so a subscription cannot make the server call into its private network.
/// Delivery must still go through the guarded handler: a name can resolve elsewhere later.
/// </summary>
public sealed class NotificationUrlGuard(IOptionsMonitor<HttpIntegrationOptions> options)
{
    /// <summary>Why the URL may not receive notifications, or null when it may.</summary>
    public async Task<string?> ProblemAsync(string url, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            return "must be an absolute http or https URL";
        if (uri.UserInfo.Length > 0)
            return "must not contain a user name or password";
        try
        {
            await AddressPolicy.From(options.CurrentValue).ResolveAllowedAsync(uri.IdnHost, cancellationToken);
            return null;
        }
        catch (TaskFailedException e)
        {
            return e.Message;
        }
        catch (TransientTaskException)
        {
            return $"the host '{uri.IdnHost}' could not be resolved now; try again";
        }
    }
}
