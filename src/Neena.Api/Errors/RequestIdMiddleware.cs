using Serilog.Context;

namespace Neena.Api.Errors;

/// <summary>
/// Gives every request an id (the caller's <c>X-Request-Id</c> when it is sane, else a new one), answers it in
/// the <c>X-Request-Id</c> header and attaches it to every log line of the request.
/// </summary>
internal sealed class RequestIdMiddleware(RequestDelegate next)
{
    public const string Header = "X-Request-Id";

    public async Task InvokeAsync(HttpContext context)
    {
        var incoming = context.Request.Headers[Header].ToString();
        var requestId = IsSafe(incoming) ? incoming : Guid.CreateVersion7().ToString("N");
        context.TraceIdentifier = requestId;
        context.Response.OnStarting(() =>
        {
            context.Response.Headers[Header] = requestId;
            return Task.CompletedTask;
        });
        using (LogContext.PushProperty("RequestId", requestId))
            await next(context);
    }

    // Echoing arbitrary header text into logs and responses invites log forging; accept only short token-like ids.
    private static bool IsSafe(string value) =>
        value.Length is > 0 and <= 128 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');
}

/// <summary>Refuses bodies over the contract's 1 MiB with 413 before anything reads them.</summary>
internal sealed class BodySizeLimit(RequestDelegate next)
{
    public const long MaxBytes = 1024 * 1024;
    public const string Detail = "Request body too large (limit 1 MiB)";

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBytes)
        {
            await ErrorWriter.WriteDetailAsync(context, StatusCodes.Status413PayloadTooLarge, Detail);
            return;
        }
        // Chunked bodies have no length up front; Kestrel enforces the same limit while reading.
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = MaxBytes;
        await next(context);
    }
}
