using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Neena.Engine;
using Neena.Integrations;
using Neena.IntegrationTests.Infrastructure;
using Neena.Persistence;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Engine;

/// <summary>The engine is composed on its own: a host with persistence, integrations and the engine, and nothing of the API.</summary>
public sealed class EngineHostingTests(NoEngineFactory factory) : IClassFixture<NoEngineFactory>
{
    [Fact]
    public async Task Engine_HostedWithoutTheApi_ExecutesAnApprovedRun()
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "standalone", [new Op(0, echo, new { message = "from a worker host" })]);
        var request = await CreateRequestAsync(client, flow);
        var run = await CreateRunAsync(client, flow, request);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing", DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Engine:InstanceId"] = "worker-host",
            ["Engine:PollIntervalSeconds"] = "1",
        });
        builder.Logging.ClearProviders();
        // No ITenantContext is registered here: the engine must not depend on the API's.
        builder.Services.AddNeenaPersistence(_ => factory.ConnectionString);
        builder.Services.AddNeenaIntegrations(builder.Configuration);
        builder.Services.AddNeenaEngine();
        builder.Services.AddHostedService<FlowRunEngine>();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var finished = await WaitForRunAsync(client, run);
            Assert.Equal("completed", Status(finished));
            Assert.Equal("from a worker host", TaskRun(finished, 0)["result"]!["message"]!.GetValue<string>());
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
