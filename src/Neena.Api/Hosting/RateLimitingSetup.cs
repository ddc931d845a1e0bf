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
            // Webhook deliveries carry no Neena credential: the receiver budgets them once it knows whether they are
            // authentic (WebhookRateLimits), so that forgeries cannot use up a genuine sender's budget.
            if (IsWebhook(context))
                return RateLimitPartition.GetNoLimiter("webhook");
            // After authentication: one budget per API key or user; anonymous callers share one per address.
            var key = context.User.FindFirst(NeenaClaims.ApiKeyId)?.Value is { } apiKeyId ? "key:" + apiKeyId
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

    private static bool IsWebhook(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<WebhookEndpointAttribute>() is not null;
}
