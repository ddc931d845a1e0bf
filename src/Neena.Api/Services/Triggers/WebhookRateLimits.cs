using System.Net;
using System.Threading.RateLimiting;
using Neena.Api.Errors;
using Neena.Api.Hosting;

namespace Neena.Api.Services.Triggers;

/// <summary>
/// The budgets of webhook deliveries, taken by the receiver once it knows whether a delivery is authentic (the global
/// limiter runs before that, so it leaves webhooks alone). A verified delivery counts against its trigger operation's
/// budget (<c>RateLimiting:PermitLimit</c> per <c>RateLimiting:WindowSeconds</c>); a delivery that fails verification
/// (unknown operation, bad or missing signature) counts against its source address's
/// (<c>RateLimiting:WebhookFailurePermitLimit</c>), and never against the operation's: forgeries cannot use up a genuine
/// sender's budget, and a genuine delivery is never refused for others' failures. In memory, per instance, as the global
/// limiter is.
/// </summary>
public sealed class WebhookRateLimits : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _verified;
    private readonly PartitionedRateLimiter<string>? _failed;

    public WebhookRateLimits(IConfiguration configuration, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var permitLimit = configuration.GetValue("RateLimiting:PermitLimit", 600);
        var failureLimit = configuration.GetValue("RateLimiting:WebhookFailurePermitLimit", 60);
        var window = TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue("RateLimiting:WindowSeconds", 60)));
        if (permitLimit > 0)
            _verified = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.Get(key, _ => new FixedWindowLimiter(permitLimit, window, time)));
        if (permitLimit > 0 && failureLimit > 0)
            _failed = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.Get(key, _ => new FixedWindowLimiter(failureLimit, window, time)));
    }

    /// <summary>Counts a verified delivery to the operation; throws when the operation's budget is used up.</summary>
    public void Verified(Guid operationId) => Take(_verified, "operation:" + operationId.ToString("D"));

    /// <summary>Counts a delivery that failed verification; throws when its address has failed too often.</summary>
    public void Failed(IPAddress? source) => Take(_failed, "address:" + source);

    private static void Take(PartitionedRateLimiter<string>? limiter, string key)
    {
        if (limiter is null)
            return;
        using var lease = limiter.AttemptAcquire(key);
        if (!lease.IsAcquired)
            throw new WebhookRateLimitedException(lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1));
    }

    public void Dispose()
    {
        _verified?.Dispose();
        _failed?.Dispose();
    }
}

/// <summary>A delivery over its budget: 429 with <c>Retry-After</c>, the seconds until the budget's window ends.</summary>
public sealed class WebhookRateLimitedException(TimeSpan retryAfter) : ApiException(StatusCodes.Status429TooManyRequests, "Too Many Requests")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
