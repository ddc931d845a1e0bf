using Microsoft.Extensions.Options;

namespace Neena.Api.Services;

/// <summary>Settings of incoming webhooks (configuration section <c>Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>
    /// The public address platforms reach this server at, such as <c>https://neena.example.com</c> (a path is kept:
    /// <c>https://example.com/neena</c>). Empty: each answer derives it from its request's scheme, host and path base,
    /// which is right only when clients and platforms see the server at the same address (no proxy in between).
    /// </summary>
    public string PublicBaseUrl { get; set; } = "";

    public string? Validate() =>
        PublicBaseUrl.Length == 0
        || (Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment) && string.IsNullOrEmpty(uri.UserInfo))
            ? null
            : "Webhooks:PublicBaseUrl must be empty or an absolute http(s) URL without query, fragment or user info.";
}

/// <summary>
/// Where a platform sends a webhook trigger operation's events: <c>{base}/webhooks/{operation id}</c>. One place, because
/// the answers show it and a receiver may need the same text (Trello signs the body together with its callback URL).
/// </summary>
public sealed class WebhookUrls(IOptions<WebhookOptions> options)
{
    public const string PathPrefix = "/webhooks/";

    public string For(HttpRequest request, Guid operationId) => BaseUrl(request) + PathPrefix + operationId.ToString("D");

    /// <summary>The configured public base URL, else the request's own scheme, host and path base; never a trailing slash.</summary>
    public string BaseUrl(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var configured = options.Value.PublicBaseUrl;
        if (configured.Length > 0)
            return configured.TrimEnd('/');
        var host = request.Host.HasValue ? request.Host.ToUriComponent() : "localhost";
        return $"{request.Scheme}://{host}{request.PathBase.ToUriComponent()}".TrimEnd('/');
    }
}
