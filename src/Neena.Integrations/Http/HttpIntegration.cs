using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Neena.Integrations.Http;

/// <summary>Calls HTTP APIs from flows, refusing addresses on the server's own network unless allow-listed.</summary>
[Integration("http", "HTTP")]
[SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Task methods are invoked on an instance the invoker creates.")]
public sealed class HttpIntegration
{
    /// <summary>Name of the <see cref="IHttpClientFactory"/> client registered by <c>AddNeenaIntegrations</c>.</summary>
    public const string HttpClientName = "neena-http-task";

    private static readonly string[] Methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

    // RFC 9110 §9.2.2: repeating these has the effect of sending them once, so a retry after an unclear outcome is safe.
    private static readonly string[] IdempotentMethods = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"];

    // Used when the host did not call AddNeenaIntegrations (tests, tools); one instance so connections are pooled.
    private static readonly Lazy<HttpClient> FallbackClient = new(
        () => new HttpClient(GuardedHttpHandler.Create(() => AddressPolicy.Default), disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan,
        });

    [Task("HTTP Request", Description = "Fetches data from a URL or web API over HTTP (GET), or posts data to one (POST, PUT, PATCH, DELETE), and returns the response's status code, headers and body, parsed when it is JSON. Use it to get data from a REST API or website, or to call a webhook.")]
    public async Task<HttpRequestOutput> HttpRequest(HttpRequestInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(context);
        var options = context.Services.GetService<IOptions<HttpIntegrationOptions>>()?.Value ?? new HttpIntegrationOptions();
        var policy = AddressPolicy.From(options);
        var uri = ParseUrl(input.Url);
        var method = ParseMethod(input.Method);
        var timeout = ParseTimeout(input.TimeoutSeconds, options.MaxTimeoutSeconds);
        var maxBytes = options.MaxResponseBytes > 0 ? options.MaxResponseBytes : new HttpIntegrationOptions().MaxResponseBytes;

        // Built before any network activity so that input mistakes are reported as such, whatever the network state.
        using var request = BuildRequest(method, uri, input);
        request.Options.Set(GuardedHttpHandler.PolicyKey, policy);

        // Whether a failure whose outcome is unclear (the request may have been acted on) may be retried.
        var repeatable = input.RetryUnsafe || IdempotentMethods.Contains(method.Method, StringComparer.Ordinal);
        var cancellationToken = context.CancellationToken;
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            // Checked here too, not only when connecting: a pooled connection to the same host would skip the connect callback.
            await policy.ResolveAllowedAsync(uri.IdnHost, timeoutSource.Token);

            context.Logger.LogDebug("HTTP task sending {Method} to {Host}", method, uri.IdnHost);

            using var response = await GetClient(context.Services)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeoutSource.Token);
            var status = (int)response.StatusCode;
            if (status >= 500)
            {
                throw Unclear(repeatable, method, string.Create(
                    CultureInfo.InvariantCulture,
                    $"{method} {Display(uri)} responded with status {status} {response.ReasonPhrase}."));
            }

            // A HEAD response declares the length of a body it never sends, which must not trip the size cap.
            var body = method == HttpMethod.Head ? [] : await HttpResponseReader.ReadBodyAsync(response.Content, maxBytes, timeoutSource.Token);
            var (json, text) = HttpResponseReader.Interpret(response.Content.Headers.ContentType, body);
            return new HttpRequestOutput
            {
                StatusCode = status,
                Headers = HttpResponseReader.CollectHeaders(response),
                Json = json,
                Text = text,
            };
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            // Stopped from outside (cancellation, shutdown): whatever surfaced, it is an interruption, not a failure of the call.
            throw new OperationCanceledException($"{method} {Display(uri)} was interrupted.", ex, cancellationToken);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && timeoutSource.IsCancellationRequested)
        {
            throw Unclear(repeatable, method,
                string.Create(CultureInfo.InvariantCulture, $"{method} {Display(uri)} timed out after {timeout.TotalSeconds} s."),
                ex);
        }
        catch (HttpRequestException ex)
        {
            // The connect callback's refusals arrive wrapped; they are verdicts about the address, not network trouble.
            for (Exception? inner = ex.InnerException; inner is not null; inner = inner.InnerException)
            {
                if (inner is TaskFailedException or TransientTaskException)
                {
                    ExceptionDispatchInfo.Capture(inner).Throw();
                }
            }

            var message = $"{method} {Display(uri)} failed: {ex.Message}";
            // No connection means the request was never sent: trying again is safe whatever the method.
            if (ex.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError)
                throw new TransientTaskException(message, ex);
            throw Unclear(repeatable, method, message, ex);
        }
        catch (IOException ex)
        {
            throw Unclear(repeatable, method, $"Reading the response of {method} {Display(uri)} failed: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// A failure after which the server may or may not have acted on the request: transient (retried) for methods that
    /// are safe to repeat or when the flow allows it, else permanent, so a POST is never sent twice by a retry.
    /// </summary>
    private static Exception Unclear(bool repeatable, HttpMethod method, string message, Exception? inner = null) => repeatable
        ? new TransientTaskException(message, inner)
        : new TaskFailedException(
            $"{message} Not retried: {method} is not safe to repeat (set the input 'retry_unsafe' to true if the endpoint tolerates repeats).",
            inner);

    private static HttpClient GetClient(IServiceProvider services)
    {
        // The named client only carries the address guard when AddNeenaIntegrations configured it; a factory
        // registered for other reasons would hand out an unguarded client under the same name.
        if (services.GetService<GuardedHttpClientRegistration>() is not null
            && services.GetService<IHttpClientFactory>() is { } factory)
        {
            return factory.CreateClient(HttpClientName);
        }

        return FallbackClient.Value;
    }

    /// <summary>The URL for messages: no credentials from the user-info part and no query string, which often holds keys.</summary>
    private static string Display(Uri uri) => $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}";

    private static Uri ParseUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            throw new TaskInputException("url", $"Input field 'url' must be an absolute http or https URL; got '{url}'.");
        }

        return uri;
    }

    private static HttpMethod ParseMethod(string method)
    {
        var normalized = method.Trim().ToUpperInvariant();
        if (!Methods.Contains(normalized, StringComparer.Ordinal))
        {
            throw new TaskInputException("method", $"Input field 'method' must be one of {string.Join(", ", Methods)}; got '{method}'.");
        }

        return new HttpMethod(normalized);
    }

    private static TimeSpan ParseTimeout(double seconds, int configuredMax)
    {
        var max = configuredMax > 0 ? configuredMax : new HttpIntegrationOptions().MaxTimeoutSeconds;
        if (!double.IsFinite(seconds) || seconds <= 0 || seconds > max)
        {
            throw new TaskInputException(
                "timeout_seconds",
                string.Create(CultureInfo.InvariantCulture, $"Input field 'timeout_seconds' must be greater than 0 and at most {max}."));
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private static HttpRequestMessage BuildRequest(HttpMethod method, Uri uri, HttpRequestInput input)
    {
        var request = new HttpRequestMessage(method, uri);
        try
        {
            request.Content = input.Body switch
            {
                null => null,
                JsonValue value when value.GetValueKind() == JsonValueKind.String =>
                    new StringContent(value.GetValue<string>(), Encoding.UTF8, "text/plain"),
                _ => new StringContent(input.Body.ToJsonString(TaskInvoker.IntegrationJson), Encoding.UTF8, "application/json"),
            };

            foreach (var (name, value) in input.Headers ?? [])
            {
                AddHeader(request, name, value);
            }

            return request;
        }
        catch
        {
            request.Dispose();
            throw;
        }
    }

    private static void AddHeader(HttpRequestMessage request, string name, string value)
    {
        if (value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
        {
            throw new TaskInputException("headers", $"Header '{name}' has a value containing a line break or NUL character.");
        }

        try
        {
            if (request.Headers.TryAddWithoutValidation(name, value))
            {
                return;
            }

            // Content-* headers live on the content; an empty body carries them when the input has none.
            request.Content ??= new ByteArrayContent([]);
            request.Content.Headers.Remove(name);
            if (request.Content.Headers.TryAddWithoutValidation(name, value))
            {
                return;
            }
        }
        catch (FormatException ex)
        {
            throw new TaskInputException("headers", $"'{name}' is not a valid HTTP header name.", ex);
        }

        throw new TaskInputException("headers", $"'{name}' is not a valid HTTP header name.");
    }
}
