using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Neena.Api.Auth;
using Neena.Api.Controllers;
using Neena.Api.Errors;

namespace Neena.Api.Hosting;

/// <summary>Per-credential fixed-window limiting (<c>RateLimiting:PermitLimit</c> requests per <c>RateLimiting:WindowSeconds</c>; 0 turns it off).</summary>
internal static class RateLimitingSetup
{
    public static void Configure(RateLimiterOptions options, IConfiguration configuration, TimeProvider time)
    {
        var permitLimit = configuration.GetValue("RateLimiting:PermitLimit", 600);
        var window = TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue("RateLimiting:WindowSeconds", 60)));
        options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
        {
            if (permitLimit <= 0)
                return RateLimitPartition.GetNoLimiter("off");
            // After authentication: one budget per API key or user; anonymous callers share one per address. Webhook
            // deliveries carry no Neena credential and come from a platform's shared addresses: one budget per operation.
            var key = WebhookPartition(context) is { } webhook ? webhook
                : context.User.FindFirst(NeenaClaims.ApiKeyId)?.Value is { } apiKeyId ? "key:" + apiKeyId
                : context.User.GetSubject() is { } subject ? "sub:" + subject
                : "ip:" + context.Connection.RemoteIpAddress;
            return RateLimitPartition.Get(key, _ => new FixedWindowLimiter(permitLimit, window, time));
        });
        options.OnRejected = async (context, cancellationToken) =>
        {
            // When the caller's window ends, not the window's length: a client that honours it comes back just in time.
            var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : window;
            context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await ErrorWriter.WriteDetailAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "Too Many Requests");
        };
    }

    /// <summary>The budget of a webhook delivery: its trigger operation's (ids that are no uuid share one, they all answer 404).</summary>
    private static string? WebhookPartition(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<WebhookEndpointAttribute>() is null)
            return null;
        return context.GetRouteValue(WebhookEndpointAttribute.OperationRouteValue) is string id && Guid.TryParse(id, out var operation)
            ? "webhook:" + operation.ToString("D")
            : "webhook:invalid";
    }
}
