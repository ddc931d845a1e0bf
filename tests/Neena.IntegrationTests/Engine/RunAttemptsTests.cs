using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Neena.Domain.FlowRuns;
using Neena.Engine;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Engine;

public sealed class RunAttemptsTests(NoEngineFactory factory) : IClassFixture<NoEngineFactory>
{
    [Fact]
    public async Task Engine_RunKeepsFailingUnexpectedly_FailsAfterMaxRunAttemptsWithTheErrorRecorded()
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "corrupted", [new Op(0, echo, new { message = "never" }), new Op(1, echo, new { message = "never" })], [(0, 1)]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        // A stored row the engine cannot read (parameters must be an object): loading the run throws, every time.
        await using (var db = factory.CreateDbContext())
        {
            var id = Guid.Parse(runId);
            Assert.Equal(1, await db.Database.ExecuteSqlAsync(
                $"UPDATE task_runs SET parameters = '[1, 2]'::jsonb WHERE flow_run_id = {id} AND task_operation_index = 1"));
        }

        var engine = FlowRunEngine.Create(factory.Services, new EngineOptions
        {
            InstanceId = "engine-attempts",
            LeaseSeconds = 1,
            PollIntervalSeconds = 0.2,
            MaxRunAttempts = 3,
            ShutdownGraceSeconds = 0.2,
        });
        await engine.StartAsync(CancellationToken.None);
        JsonNode run;
        try
        {
            run = await WaitForRunAsync(client, runId, timeout: TimeSpan.FromSeconds(30));
        }
        finally
        {
            await engine.StopAsync(CancellationToken.None);
            engine.Dispose();
        }

        Assert.Equal(RunStatus.Failed, Status(run));
        Assert.NotNull(run["end_time"]);
        Assert.All(run["task_runs"]!.AsArray(), t => Assert.Equal(RunStatus.Cancelled, Status(t!)));
        var withResult = await (await client.GetAsync($"/api/v1/flow_runs/with_flow_result?id={runId}")).ReadJsonAsync();
        var body = JsonNode.Parse(withResult["flow_result"]!["body"]!.GetValue<string>())!;
        Assert.Equal("failed", body["status"]!.GetValue<string>());
        var message = body["message"]!.GetValue<string>();
        Assert.Contains("unexpected error 3 time(s)", message);
        Assert.Contains("InvalidCastException", message);
        await using (var db = factory.CreateDbContext())
        {
            var row = await db.FlowRuns.IgnoreQueryFilters().SingleAsync(r => r.Id == Guid.Parse(runId));
            Assert.Equal(3, row.ClaimAttempts);
            Assert.Null(row.LeaseOwner);
        }
    }
}
