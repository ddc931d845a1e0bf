using System.Diagnostics.CodeAnalysis;

namespace Neena.Integrations.Platforms;

/// <summary>
/// Settings shared by the typed clients of SaaS platforms (Slack, Trello), bound from <c>Integrations:&lt;Platform&gt;</c>.
/// The base URL is the operator's to choose (a proxy, a test stand-in) and is trusted: it does not pass the HTTP task's
/// address guard, which is for URLs that flows supply.
/// </summary>
public abstract class PlatformClientOptions
{
    /// <summary>The API's base URL, up to and including its version segment; a missing trailing slash is added.</summary>
    [SuppressMessage("Design", "CA1056:URI-like properties should not be strings", Justification = "Bound from configuration text and validated on start.")]
    public abstract string BaseUrl { get; set; }

    /// <summary>Time limit of one HTTP attempt; retries get a fresh one each.</summary>
    public double AttemptTimeoutSeconds { get; set; } = 30;

    /// <summary>Retries after the first attempt, for answers that allow one (see <see cref="PlatformResilience"/>).</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>Base of the exponential backoff (with jitter) when the platform gives no <c>Retry-After</c>.</summary>
    public double RetryDelayMilliseconds { get; set; } = 500;

    /// <summary>
    /// Longest <c>Retry-After</c> the client waits for in place; a platform asking for more fails the attempt as transient
    /// (with the wait it asked for), so the task is retried later instead of holding a worker.
    /// </summary>
    public double MaxRetryAfterSeconds { get; set; } = 30;

    /// <summary>The validated base address, ending with a slash so relative method paths append to it.</summary>
    public Uri BaseAddress()
    {
        var text = BaseUrl.EndsWith('/') ? BaseUrl : BaseUrl + "/";
        return new Uri(text, UriKind.Absolute);
    }

    /// <summary>The first problem with these settings, or null; <paramref name="section"/> names them in the message.</summary>
    public string? Validate(string section)
    {
        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            return $"{section}:BaseUrl must be an absolute http or https URL without a query, such as the API's documented base URL.";
        }

        if (!(AttemptTimeoutSeconds > 0) || MaxRetryAttempts < 0 || MaxRetryAttempts > 10 || !(RetryDelayMilliseconds >= 0) || !(MaxRetryAfterSeconds >= 0))
            return $"{section}: AttemptTimeoutSeconds must be positive, MaxRetryAttempts 0 to 10, RetryDelayMilliseconds and MaxRetryAfterSeconds not negative.";
        return null;
    }
}
