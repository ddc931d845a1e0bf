using System.Globalization;
using Microsoft.Extensions.Http.Logging;
using Microsoft.Extensions.Logging;

namespace Neena.Integrations.Platforms;

/// <summary>
/// Logs each outgoing request as method, host, path, status and time, and nothing else. It replaces the client factory's
/// default loggers, whose trace events carry every request header as a structured value unredacted (only the rendered
/// message is masked): the <c>Authorization</c> header holds an organization's credential (Slack, Trello) or whatever
/// secret a flow's HTTP task sends. The query string is left out too.
/// </summary>
internal sealed class HeaderFreeHttpLogger(ILogger<HeaderFreeHttpLogger> logger) : IHttpClientLogger
{
    public object? LogRequestStart(HttpRequestMessage request) => null;

    public void LogRequestStop(object? context, HttpRequestMessage request, HttpResponseMessage response, TimeSpan elapsed) =>
        logger.LogDebug(
            "{Method} {Host}{Path} answered {StatusCode} in {ElapsedMilliseconds} ms",
            request.Method,
            request.RequestUri?.Authority,
            request.RequestUri?.AbsolutePath,
            (int)response.StatusCode,
            Math.Round(elapsed.TotalMilliseconds, 1).ToString(CultureInfo.InvariantCulture));

    public void LogRequestFailed(object? context, HttpRequestMessage request, HttpResponseMessage? response, Exception exception, TimeSpan elapsed) =>
        logger.LogDebug(
            "{Method} {Host}{Path} failed after {ElapsedMilliseconds} ms: {Error}",
            request.Method,
            request.RequestUri?.Authority,
            request.RequestUri?.AbsolutePath,
            Math.Round(elapsed.TotalMilliseconds, 1).ToString(CultureInfo.InvariantCulture),
            exception.Message);
}
