using Neena.Domain.Common;

namespace Neena.UnitTests.Domain;

public sealed class BackoffTests
{
    [Theory]
    [InlineData(0, 500)]
    [InlineData(1, 500)]
    [InlineData(2, 1000)]
    [InlineData(3, 2000)]
    [InlineData(6, 16000)]
    [InlineData(7, 30000)]
    [InlineData(40, 30000)]
    public void Exponential_DoublesFromTheBasePerAttempt_UpToTheCap(int attempt, double expected) =>
        Assert.Equal(expected, Backoff.Exponential(attempt, baseDelay: 500, maxDelay: 30000));

    [Theory]
    [InlineData(0.0, 1000)]
    [InlineData(0.5, 1500)]
    [InlineData(0.999, 1999)]
    public void Exponential_WithEqualJitter_KeepsHalfAndDrawsTheOtherHalf(double draw, double expected) =>
        Assert.Equal(expected, Backoff.Exponential(3, baseDelay: 500, maxDelay: 30000, jitter: draw), precision: 6);

    [Fact]
    public void Exponential_WithJitter_CapsBeforeTheJitter() =>
        Assert.Equal(750, Backoff.Exponential(30, baseDelay: 100, maxDelay: 1000, jitter: 0.5));

    [Fact]
    public void Exponential_OfAZeroBase_IsNoWait() =>
        Assert.Equal(0, Backoff.Exponential(5, baseDelay: 0, maxDelay: 0, jitter: 0.7));

    [Fact]
    public void Callers_KeepTheirFormulas()
    {
        // The trigger processor's retry delay: seconds, no jitter (Webhooks:RetryBaseDelaySeconds 2, RetryMaxDelaySeconds 60).
        var webhooks = new Neena.Api.Services.Triggers.WebhookOptions { RetryBaseDelaySeconds = 2, RetryMaxDelaySeconds = 60 };
        Assert.Equal(TimeSpan.FromSeconds(2), webhooks.RetryDelay(1));
        Assert.Equal(TimeSpan.FromSeconds(8), webhooks.RetryDelay(3));
        Assert.Equal(TimeSpan.FromSeconds(60), webhooks.RetryDelay(10));

        // The engine's: milliseconds, equal jitter.
        var engine = new Neena.Engine.EngineOptions { RetryBaseDelayMilliseconds = 100, RetryMaxDelayMilliseconds = 1000 };
        for (var i = 0; i < 50; i++)
            Assert.InRange(Neena.Engine.TaskAttempt.Backoff(3, engine).TotalMilliseconds, 200, 400);
    }
}
