using System.Threading.RateLimiting;
using Neena.Api.Hosting;

namespace Neena.UnitTests.Hosting;

public sealed class FixedWindowLimiterTests
{
    private readonly ManualTime _time = new();

    [Fact]
    public void AttemptAcquire_OverTheLimit_RetryAfterIsWhatIsLeftOfTheWindow()
    {
        using var limiter = new FixedWindowLimiter(2, TimeSpan.FromSeconds(60), _time);

        Assert.True(limiter.AttemptAcquire().IsAcquired);
        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.True(limiter.AttemptAcquire().IsAcquired);
        _time.Advance(TimeSpan.FromSeconds(15));
        using var refused = limiter.AttemptAcquire();

        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(25), retryAfter);
    }

    [Fact]
    public void AttemptAcquire_AfterTheWindowEnds_StartsAFreshWindow()
    {
        using var limiter = new FixedWindowLimiter(1, TimeSpan.FromSeconds(10), _time);
        Assert.True(limiter.AttemptAcquire().IsAcquired);
        Assert.False(limiter.AttemptAcquire().IsAcquired);

        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.True(limiter.AttemptAcquire().IsAcquired);
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.True(limiter.AttemptAcquire().TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(6), retryAfter);
    }

    [Fact]
    public void IdleDuration_WhileTheWindowLasts_IsNullSoThePartitionIsKept()
    {
        using var limiter = new FixedWindowLimiter(1, TimeSpan.FromSeconds(10), _time);
        limiter.AttemptAcquire();
        _time.Advance(TimeSpan.FromSeconds(9));

        Assert.Null(limiter.IdleDuration);
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(2), limiter.IdleDuration);
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
