using Neena.Api.Hosting;

namespace Neena.UnitTests.Hosting;

public sealed class PerformanceOptionsTests
{
    [Fact]
    public void LargeResponses_ByDefault_EightAtOncePerProcessor()
    {
        // The lists stream from their rows: a few at once per core left the cores idle between PostgreSQL and the client.
        Assert.Equal(8 * Environment.ProcessorCount, new PerformanceOptions().EffectiveMaxConcurrentLargeResponses);
        Assert.Equal(3, new PerformanceOptions { MaxConcurrentLargeResponses = 3 }.EffectiveMaxConcurrentLargeResponses);
    }
}
