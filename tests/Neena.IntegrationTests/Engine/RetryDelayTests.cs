using Microsoft.EntityFrameworkCore;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Engine;

/// <summary>
/// One task slot for the whole instance, a retry delay of 4 to 8 s (long enough for another run to finish meanwhile on a
/// loaded machine: at 2 to 4 s a CI run once saw the retry come due first) and a 3 s lease (waits over a second hand the
/// run back).
/// Polling is a minute, so a run picked up when its retry comes due was picked up by the engine's timer.
/// </summary>
public sealed class SlowRetryFactory : NeenaFactory
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Engine:PollIntervalSeconds"] = "60",
        ["Engine:LeaseSeconds"] = "3",
        ["Engine:MaxConcurrentTasks"] = "1",
        ["Engine:RetryBaseDelayMilliseconds"] = "8000",
        ["Engine:RetryMaxDelayMilliseconds"] = "8000",
        ["Engine:ShutdownGraceSeconds"] = "1",
        ["Integrations:Http:AllowedNetworks:0"] = "127.0.0.1/32",
    };
}

public sealed class RetryDelayTests(SlowRetryFactory factory) : IClassFixture<SlowRetryFactory>
{
    [Fact]
    public async Task Engine_TaskWaitsForARetry_HoldsNoSlotNoLeaseAndIsPickedUpWhenDue()
    {
        await using var server = await CountingServer.StartAsync();
        var (client, _) = await ClientAsync(factory);
        var http = await factory.TaskDefinitionIdAsync("http", "HTTP Request");
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var key = Guid.NewGuid().ToString("N");
        var flaky = await CreateFlowAsync(client, "flaky", [new Op(0, http, new { method = "GET", url = server.Url($"/flaky/{key}") })]);
        var quick = await CreateFlowAsync(client, "quick", [new Op(0, echo, new { message = "meanwhile" })]);

        var flakyRun = await CreateRunAsync(client, flaky, await CreateRequestAsync(client, flaky));
        var waiting = await WaitForRunAsync(client, flakyRun, r => TaskRun(r, 0)["error"] is not null);
        Assert.Equal(RunStatus.Pending, Status(TaskRun(waiting, 0))); // waiting for its retry, not running
        Assert.Equal(RunStatus.InProgress, Status(waiting));

        var runId = Guid.Parse(flakyRun);
        DateTime due;
        await using (var db = factory.CreateDbContext())
        {
            var task = await db.TaskRuns.IgnoreQueryFilters().SingleAsync(t => t.FlowRunId == runId);
            Assert.NotNull(task.NextAttemptAt);
            due = task.NextAttemptAt.Value;
        }

        // The only task slot is free during the wait: another run executes meanwhile.
        var quickRun = await CreateRunAsync(client, quick, await CreateRequestAsync(client, quick));
        var other = await WaitForRunAsync(client, quickRun, timeout: TimeSpan.FromSeconds(10));
        Assert.Equal(RunStatus.Completed, Status(other));
        Assert.Equal(1, server.Hits[$"flaky/{key}"]);

        // Nobody holds the waiting run, and nobody claims it before it is due (no busy loop), however often one looks.
        var samples = 0;
        while (true)
        {
            await using var db = factory.CreateDbContext();
            var row = await db.FlowRuns.IgnoreQueryFilters().Where(r => r.Id == runId)
                .Select(r => new { r.LeaseOwner, r.NextAttemptAt })
                .SingleAsync();
            var now = await db.Database.SqlQuery<DateTime>($"SELECT now() AS \"Value\"").SingleAsync();
            if (now > due - TimeSpan.FromMilliseconds(300))
                break;
            Assert.Null(row.LeaseOwner);
            Assert.Equal(due, row.NextAttemptAt);
            samples++;
            await Task.Delay(50);
        }
        Assert.True(samples > 0, "the retry came due before the run could be observed waiting");

        // Picked up when due although polling is a minute: the engine woke up for it.
        var run = await WaitForRunAsync(client, flakyRun, timeout: TimeSpan.FromSeconds(20));
        Assert.Equal(RunStatus.Completed, Status(run));
        var retried = TaskRun(run, 0);
        Assert.Equal(2, retried["attempt"]!.GetValue<int>());
        Assert.Null(retried["error"]);
        Assert.Equal(2, server.Hits[$"flaky/{key}"]);
        Assert.True(Time(retried, "end_time") >= due, "the second attempt ran before its next_attempt_at");
        await using (var db = factory.CreateDbContext())
        {
            var row = await db.FlowRuns.IgnoreQueryFilters().SingleAsync(r => r.Id == runId);
            Assert.Null(row.NextAttemptAt);
            Assert.Equal(1, row.ClaimAttempts); // claimed twice; the hand-back for the wait gave its claim back
        }
    }

    [Fact]
    public async Task Cancel_RunWaitingForARetry_EndsItLikeTheEngineWould()
    {
        await using var server = await CountingServer.StartAsync();
        var (client, _) = await ClientAsync(factory);
        var http = await factory.TaskDefinitionIdAsync("http", "HTTP Request");
        var flow = await CreateFlowAsync(client, "cancel while waiting",
            [new Op(0, http, new { method = "GET", url = server.Url($"/flaky/{Guid.NewGuid():N}") })]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));
        await WaitForRunAsync(client, runId, r => TaskRun(r, 0)["error"] is not null);

        var cancel = await client.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={runId}", null);
        Assert.Equal(System.Net.HttpStatusCode.OK, cancel.StatusCode);

        // One way of ending a run, whoever ends it: no retry time, no lease, open tasks cancelled.
        await using var db = factory.CreateDbContext();
        var id = Guid.Parse(runId);
        var run = await db.FlowRuns.IgnoreQueryFilters().SingleAsync(r => r.Id == id);
        Assert.Equal(RunStatus.Cancelled, run.Status);
        Assert.NotNull(run.EndTime);
        Assert.Null(run.NextAttemptAt);
        Assert.Null(run.LeaseOwner);
        var task = await db.TaskRuns.IgnoreQueryFilters().SingleAsync(t => t.FlowRunId == id);
        Assert.Equal(RunStatus.Cancelled, task.Status);
        Assert.Null(task.NextAttemptAt);
        Assert.Equal(run.EndTime, task.EndTime);
        Assert.Equal(1, await db.FlowResults.IgnoreQueryFilters().CountAsync(r => r.FlowRunId == id));
    }
}
