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
    };
}

public sealed class TimeoutTests(ShortTimeoutFactory factory) : IClassFixture<ShortTimeoutFactory>
{
    [Fact]
    public async Task A_task_that_exceeds_its_timeout_is_retried_then_fails_the_run()
    {
        var (client, _) = await ClientAsync(factory);
        var wait = await factory.TaskDefinitionIdAsync("core", "Wait");
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "slow", [new Op(0, wait, new { seconds = 30 }), new Op(1, echo, new { message = "x" })], [(0, 1)]);
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
