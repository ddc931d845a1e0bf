using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Engine;

public sealed class ShortTimeoutFactory : NeenaFactory
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Engine:TaskTimeoutSeconds"] = "1",
        ["Engine:MaxAttempts"] = "2",
        ["Engine:RetryBaseDelayMilliseconds"] = "50",
        ["Engine:ShutdownGraceSeconds"] = "1",
        ["Integrations:Http:AllowedNetworks:0"] = "127.0.0.1/32",
    };
}

public sealed class TimeoutTests(ShortTimeoutFactory factory) : IClassFixture<ShortTimeoutFactory>
{
    [Fact]
    public async Task A_task_that_exceeds_its_timeout_is_retried_then_fails_the_run()
    {
        await using var server = await CountingServer.StartAsync();
        var (client, _) = await ClientAsync(factory);
        var http = await factory.TaskDefinitionIdAsync("http", "HTTP Request");
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        // An answer after 30 s; the task may wait at most the engine's 1 s limit (a longer literal would be refused with 422).
        var flow = await CreateFlowAsync(client, "slow",
            [new Op(0, http, new { url = server.Url($"/slow/{Guid.NewGuid():N}?seconds=30"), timeout_seconds = 1 }), new Op(1, echo, new { message = "x" })], [(0, 1)]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Failed, Status(run));
        var task = TaskRun(run, 0);
        Assert.Equal(RunStatus.Failed, Status(task));
        Assert.Contains("timed out", task["error"]!.GetValue<string>());
        Assert.Contains("gave up after 2 attempt(s)", task["error"]!.GetValue<string>());
        Assert.Equal(2, task["attempt"]!.GetValue<int>());
        Assert.True(Time(task, "end_time") - Time(task, "start_time") < TimeSpan.FromSeconds(25));
        Assert.Equal(RunStatus.Cancelled, Status(TaskRun(run, 1)));
    }
}
