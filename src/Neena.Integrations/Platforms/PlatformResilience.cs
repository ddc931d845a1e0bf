using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;

namespace Neena.Integrations.Platforms;

/// <summary>
/// The retry policy of the platform clients. A request is repeated only when repeating it cannot do the work twice:
/// <list type="bullet">
/// <item>a 429 answer, whatever the method: the platform refused the request without doing it; the retry waits for the
/// answer's <c>Retry-After</c> (up to <see cref="PlatformClientOptions.MaxRetryAfterSeconds"/>);</item>
/// <item>a connection that could not be made (nothing was sent);</item>
/// <item>5xx answers, 408, timeouts and broken connections only for methods safe to repeat (GET, HEAD, and PUT, which
/// Trello uses to set fields and which sets them to the same values again). A POST that creates something, or a DELETE,
/// may have been done before the failure, so it is not repeated.</item>
/// </list>
/// </summary>
public static class PlatformResilience
{
    public static IHttpClientBuilder AddPlatformResilience<TOptions>(this IHttpClientBuilder builder, string pipelineName)
        where TOptions : PlatformClientOptions
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddResilienceHandler(pipelineName, static (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptions<TOptions>>().Value;
            var maxRetryAfter = TimeSpan.FromSeconds(options.MaxRetryAfterSeconds);
            if (options.MaxRetryAttempts > 0)
            {
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = options.MaxRetryAttempts,
                    Delay = TimeSpan.FromMilliseconds(options.RetryDelayMilliseconds),
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    ShouldRetryAfterHeader = true,
                    ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context.GetRequestMessage()?.Method, maxRetryAfter)),
                });
            }

            pipeline.AddTimeout(TimeSpan.FromSeconds(options.AttemptTimeoutSeconds));
        });
        return builder;
    }

    /// <summary>Whether a request with this method may be sent again after an answer or failure that leaves its effect unknown.</summary>
    public static bool IsSafeToRepeat(HttpMethod method) =>
        method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Options || method == HttpMethod.Put;

    /// <summary>The wait an answer asks for: <c>Retry-After</c> as seconds or as a date.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        return RetryAfter(response.Headers.RetryAfter, time ?? TimeProvider.System);
    }

    /// <summary>True when the request certainly never reached the server, so sending it again cannot repeat its effect.</summary>
    public static bool NeverSent(Exception exception) =>
        exception is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };

    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, HttpMethod? method, TimeSpan maxRetryAfter)
    {
        if (outcome.Result is { StatusCode: HttpStatusCode.TooManyRequests } limited)
            return RetryAfter(limited) is not { } wait || wait <= maxRetryAfter;
        if (outcome.Exception is { } exception && NeverSent(exception))
            return true;
        if (method is null || !IsSafeToRepeat(method))
            return false;
        return outcome.Exception is TimeoutRejectedException || HttpClientResiliencePredicates.IsTransient(outcome);
    }

    private static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, TimeProvider time) => header switch
    {
        { Delta: { } delta } => delta < TimeSpan.Zero ? TimeSpan.Zero : delta,
        { Date: { } date } => date - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };
}
