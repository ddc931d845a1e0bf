using System.Net;
using System.Text.Json.Nodes;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Engine;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Operations;

/// <summary>Issue 20's statuses on the event stream: a skipped task run reaches it through the task-run trigger's notification.</summary>
public sealed class RunEventsDecideTests(NotificationOnlyRunEventsFactory factory) : IClassFixture<NotificationOnlyRunEventsFactory>
{
    [Fact]
    public async Task Events_IfElseRun_StreamsTheSkippedBranch_AndALastEventIdWithItResumes()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.Http(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await FlowsDecideEngineTests.CreateDecidingFlowAsync(client, "if else events",
        [
            FlowsDecideEngineTests.Operation(0, echo, new JsonObject { ["message"] = "urgent" }),
            FlowsDecideEngineTests.Operation(1, echo, new JsonObject { ["message"] = "then" }),
            FlowsDecideEngineTests.Operation(2, echo, new JsonObject { ["message"] = "else" }),
        ],
        [
            FlowsDecideEngineTests.Edge(0, 1, FlowsDecideEngineTests.Test("{{tasks.0.result.message}}", "eq", "urgent")),
            FlowsDecideEngineTests.Edge(0, 2, FlowsDecideEngineTests.Test("{{tasks.0.result.message}}", "ne", "urgent")),
        ]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow), approved: false);
        var (status, stream, _) = await SseClient.OpenAsync(client, $"/api/v1/flow_runs/events?id={runId}");
        Assert.Equal(HttpStatusCode.OK, status);
        await using var sse = stream!;
        Assert.Equal("pending", (await sse.NextAsync())!.Json["status"]!.GetValue<string>());

        List<SseEvent> events;
        var engine = await RunEventsTests.StartEngineAsync(factory);
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={runId}", null)).StatusCode);
            // The heartbeat is an hour away: every event comes from a notification.
            events = await sse.ToEndAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await RunEventsTests.StopAsync(engine);
        }

        Assert.Equal(RunStatus.Completed, events[^1].Json["status"]!.GetValue<string>());
        List<string> Statuses(int index) => [.. events.Where(e => e.Event == "task_run" && e.Json["task_operation_index"]!.GetValue<int>() == index)
            .Select(e => e.Json["status"]!.GetValue<string>())];
        Assert.Equal([RunStatus.Pending, RunStatus.InProgress, RunStatus.Completed], Statuses(1));
        Assert.Equal([RunStatus.Pending, TaskRunStatus.Skipped], Statuses(2));

        // Resuming from the last event the client saw (its id holds the skipped task run): nothing is sent again.
        var last = events.Last(e => e.Event == "run");
        var (resumedStatus, resumed, _) = await SseClient.OpenAsync(client, $"/api/v1/flow_runs/events?id={runId}", lastEventId: last.Id);
        Assert.Equal(HttpStatusCode.OK, resumedStatus);
        await using var again = resumed!;
        Assert.Equal(["end"], (await again.ToEndAsync()).Select(e => e.Event));
    }
}
