using System.Globalization;
using System.Net;
using Neena.Integrations.Credentials;
using Polly.Timeout;

namespace Neena.Integrations.Platforms;

/// <summary>
/// Turns what a platform call ended with into the task exceptions the executor understands: transient (retry later)
/// only when a repeat cannot do the work twice, permanent otherwise, with messages that never carry a secret.
/// </summary>
internal static class PlatformFailures
{
    private const int MaxExcerptLength = 300;

    /// <summary>The call threw: a timeout, a network failure, or the task's own cancellation (returned unchanged).</summary>
    public static Exception FromException(string platform, HttpMethod method, string path, Exception exception, CancellationToken taskToken)
    {
        if (exception is OperationCanceledException && taskToken.IsCancellationRequested)
            return exception;
        var what = $"{platform} {method} {path}";
        var reason = exception switch
        {
            TimeoutRejectedException => "timed out",
            OperationCanceledException => "timed out",
            _ => "failed: " + exception.Message,
        };
        if (PlatformResilience.NeverSent(exception) || PlatformResilience.IsSafeToRepeat(method))
            return new TransientTaskException($"{what} {reason}.", exception);
        return new TaskFailedException(
            $"{what} {reason}; the platform may have done it already, so it is not repeated. Check {platform} before running the task again.",
            exception);
    }

    /// <summary>The platform answered with an error status.</summary>
    public static Exception FromStatus(string platform, HttpMethod method, string path, HttpResponseMessage response, string body)
    {
        var status = string.Create(CultureInfo.InvariantCulture, $"{(int)response.StatusCode} {response.ReasonPhrase}");
        var what = $"{platform} {method} {path}";
        var excerpt = Excerpt(body);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            var wait = PlatformResilience.RetryAfter(response);
            var after = wait is { } w ? string.Create(CultureInfo.InvariantCulture, $"; it asks to wait {Math.Ceiling(w.TotalSeconds)} s") : "";
            return new TransientTaskException($"{platform} is rate limiting requests ({what} answered {status}{excerpt}){after}.") { RetryAfter = wait };
        }

        if ((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.RequestTimeout)
        {
            if (PlatformResilience.IsSafeToRepeat(method))
                return new TransientTaskException($"{what} answered {status}{excerpt}.");
            return new TaskFailedException(
                $"{what} answered {status}{excerpt}; the platform may have done it already, so it is not repeated. Check {platform} before running the task again.");
        }

        return new TaskFailedException($"{platform} refused {method} {path}: {status}{excerpt}");
    }

    /// <summary>Removes every credential value from text that came from outside (a platform's error answer may echo one).</summary>
    public static string Redact(string text, IntegrationCredentials? credentials)
    {
        if (credentials is null)
            return text;
        foreach (var value in credentials.Values.Where(v => v.Length >= 4))
            text = text.Replace(value, IntegrationCredentials.Redacted, StringComparison.Ordinal);
        return text;
    }

    private static string Excerpt(string body)
    {
        var trimmed = body.Trim();
        if (trimmed.Length == 0)
            return "";
        if (trimmed.Length > MaxExcerptLength)
            trimmed = trimmed[..MaxExcerptLength] + "…";
        return ": " + trimmed.ReplaceLineEndings(" ");
    }
}
