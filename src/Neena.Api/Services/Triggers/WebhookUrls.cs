using Microsoft.Extensions.Options;

namespace Neena.Api.Services.Triggers;

/// <summary>
/// Where platforms send a trigger operation's events: <c>Webhooks:PublicBaseUrl</c> (else the request's scheme, host and
/// path base) followed by <c>/webhooks/{id}</c>. The one place this URL is made: the operations' <c>webhook_url</c> shows it,
/// and the receiver checks Trello's signature against it (Trello signs the body together with the URL it was given).
/// </summary>
public sealed class WebhookUrls(IOptions<WebhookOptions> options)
{
    public const string PathPrefix = "/webhooks/";

    /// <summary>The base every webhook URL starts with, without a trailing slash.</summary>
    public string BaseUrl(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (options.Value.PublicBaseUrl is { Length: > 0 } configured)
            return configured.TrimEnd('/');
        var host = request.Host.HasValue ? request.Host.ToUriComponent() : "localhost";
        return (request.Scheme + "://" + host + request.PathBase.ToUriComponent()).TrimEnd('/');
    }

    /// <summary>The webhook URL of one trigger operation.</summary>
    public string For(HttpRequest request, Guid operationId) => BaseUrl(request) + PathPrefix + operationId.ToString("D");
}
