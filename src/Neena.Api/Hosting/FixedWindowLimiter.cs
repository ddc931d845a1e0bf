using System.Threading.RateLimiting;

namespace Neena.Api.Hosting;

/// <summary>
/// A fixed window of <c>permitLimit</c> requests that starts with the first request after the previous window ended,
/// and that knows when it ends. The framework's <see cref="FixedWindowRateLimiter"/> does not expose its window start
/// and always reports the full window as <c>Retry-After</c>, telling a client that waits less to wait longer.
/// </summary>
internal sealed class FixedWindowLimiter(int permitLimit, TimeSpan window, TimeProvider time) : RateLimiter
{
    private readonly Lock _gate = new();
    private readonly long _created = time.GetTimestamp();
    private long _windowStart;
    private bool _started;
    private int _used;

    /// <summary>
    /// Idle only once the window has ended: the partitioned limiter discards idle limiters, and discarding one with a
    /// live window would hand its caller a fresh budget.
    /// </summary>
    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_gate)
            {
                if (!_started)
                    return time.GetElapsedTime(_created);
                var sinceEnd = time.GetElapsedTime(_windowStart) - window;
                return sinceEnd > TimeSpan.Zero ? sinceEnd : null;
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_gate)
        {
            return new RateLimiterStatistics { CurrentAvailablePermits = permitLimit - UsedNow(time.GetTimestamp()) };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, permitLimit);
        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (permitCount == 0 && UsedNow(now) < permitLimit)
                return Lease.Acquired;
            if (permitCount > 0 && UsedNow(now) + permitCount <= permitLimit)
            {
                if (!_started || time.GetElapsedTime(_windowStart, now) >= window)
                {
                    _windowStart = now;
                    _started = true;
                    _used = 0;
                }
                _used += permitCount;
                return Lease.Acquired;
            }
            var remaining = window - time.GetElapsedTime(_windowStart, now);
            return new Lease(false, remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        }
    }

    // No queue: waiting would hold a request open for up to a window; the client is told when to come back instead.
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(permitCount));

    /// <summary>Permits used in the window that holds <paramref name="now"/> (none once the window has ended).</summary>
    private int UsedNow(long now) => _started && time.GetElapsedTime(_windowStart, now) < window ? _used : 0;

    private sealed class Lease(bool isAcquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Acquired = new(true, null);

        public override bool IsAcquired => isAcquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (retryAfter is { } value && metadataName == MetadataName.RetryAfter.Name)
            {
                metadata = value;
                return true;
            }
            metadata = null;
            return false;
        }
    }
}
