using Neena.Domain.FlowRuns;
using Neena.Engine;
using Neena.IntegrationTests.Infrastructure;
using Npgsql;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Engine;

/// <summary>What an instance does when it cannot confirm its leases: stop its work before anybody else may take the runs over.</summary>
public sealed class LeaseTests(NoEngineFactory factory) : IClassFixture<NoEngineFactory>
{
    private static EngineOptions Options(string instance, double leaseSeconds) => new()
    {
        InstanceId = instance,
        LeaseSeconds = leaseSeconds,
        PollIntervalSeconds = 0.5,
        RetryBaseDelayMilliseconds = 50,
        ShutdownGraceSeconds = 0.2,
    };

    private static async Task<FlowRunEngine> StartAsync(FlowRunEngine engine)
    {
        await engine.StartAsync(CancellationToken.None);
        await engine.Listening.WaitAsync(TimeSpan.FromSeconds(30));
        return engine;
    }

    private static async Task StopAsync(FlowRunEngine engine)
    {
        await engine.StopAsync(CancellationToken.None);
        engine.Dispose();
    }

    [Fact]
    public async Task Engine_RenewalHangsOnAStalledConnection_StopsTheTaskBeforeAnotherInstanceRunsItAgain()
    {
        await using var server = await CountingServer.StartAsync();
        var (proxy, proxied) = StallingProxy.Start(factory.ConnectionString);
        await using var proxyLifetime = proxy;
        await using var stalledSource = NpgsqlDataSource.Create(proxied);
        var (client, _) = await ClientAsync(factory);
        var http = await factory.TaskDefinitionIdAsync("http", "HTTP Request");
        var key = Guid.NewGuid().ToString("N");
        // One call that lasts well beyond the lease: if it were not stopped, the take-over would run it a second time at once.
        var flow = await CreateFlowAsync(client, "stalled lease",
            [new Op(0, http, new { url = server.Url($"/slow/{key}?seconds=12"), timeout_seconds = 30 })]);

        var stalled = await StartAsync(FlowRunEngine.Create(factory.Services, Options("engine-stalled", leaseSeconds: 6), stalledSource));
        FlowRunEngine? other = null;
        try
        {
            var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));
            Assert.True(await Eventually(() => server.Active(key) == 1, TimeSpan.FromSeconds(30)), "the first instance never called the endpoint");

            // Everything the first instance sends to the database now hangs, its lease renewals included.
            proxy.Stall();
            other = await StartAsync(FlowRunEngine.Create(factory.Services, Options("engine-other", leaseSeconds: 6)));

            var run = await WaitForRunAsync(client, runId, timeout: TimeSpan.FromSeconds(60));
            proxy.Resume();

            Assert.Equal(RunStatus.Completed, Status(run));
            Assert.Empty(server.Overlaps);
            var executions = server.Executions.Where(e => e.Key == key).OrderBy(e => e.Start).ToList();
            Assert.True(executions.Count >= 2, $"expected the interrupted execution and the one after the take-over, saw {executions.Count}");
            Assert.True(executions[0].Aborted, "the stalled instance must cancel its in-flight call itself");
            Assert.True(executions[0].End <= executions[1].Start);
            // Stopped at two thirds of the 6 s lease after its last renewal, not when a renewal finally failed or timed out.
            Assert.True(executions[0].End - executions[0].Start < TimeSpan.FromSeconds(10), $"the first execution lasted {executions[0].End - executions[0].Start}");
        }
        finally
        {
            proxy.Resume();
            await StopAsync(stalled);
            if (other is not null)
                await StopAsync(other);
        }
    }

    private static async Task<bool> Eventually(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
                return true;
            await Task.Delay(20);
        }
        return condition();
    }
}
