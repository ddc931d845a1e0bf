using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Neena.Api.Workers;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Operations;

/// <summary>The server runs the idle heap trim (<see cref="IdleHeapTrim"/>) unless told not to.</summary>
public sealed class IdleHeapTrimHostTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    [Fact]
    public void TheServerRunsTheIdleHeapTrim_OnByDefault()
    {
        Assert.Single(factory.Services.GetServices<IHostedService>().OfType<IdleHeapTrim>());
        var options = factory.Services.GetRequiredService<IOptions<IdleHeapTrimOptions>>().Value;
        Assert.True(options.Enabled);
        Assert.Equal(5, options.IdleSeconds);
        Assert.Equal(64, options.ThresholdMb);
    }
}
