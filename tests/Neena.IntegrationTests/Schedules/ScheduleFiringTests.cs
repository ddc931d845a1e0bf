using System.Net;
using System.Text.Json.Nodes;
using Neena.Domain.FlowRuns;
using Neena.Domain.Triggers;
using Neena.IntegrationTests.Engine;
using Neena.IntegrationTests.Infrastructure;
using Neena.IntegrationTests.Triggers;
using Neena.StandIns;
using static Neena.IntegrationTests.Engine.EngineTestSupport;
using static Neena.IntegrationTests.Triggers.WebhookTestSupport;

namespace Neena.IntegrationTests.Schedules;

/// <summary>
/// Schedules firing on the server with its scheduler, trigger run processor and engine (§11): each slot becomes a trigger
/// run processed into a flow request and a run of type <c>schedule</c>, approved or pending as the operation's
/// <c>requires_approval</c> says; and a webhook operation without a fixed flow makes its runs wait for approval.
/// </summary>
public sealed class ScheduleFiringTests(WebhookFactory factory) : IClassFixture<WebhookFactory>
{
    private const string EveryTenSeconds = "*/10 * * * * *";
    private static readonly TimeSpan FireTimeout = TimeSpan.FromSeconds(40);

    private async Task<(HttpClient Client, TestTenant Tenant, string Flow)> EchoFlowAsync()
    {
        var (client, tenant) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "echo", [new Op(0, echo, new { message = "{{request.instructions}}" })]);
        return (client, tenant, flow);
    }

    /// <summary>Polls the schedule's trigger runs until <paramref name="count"/> are finished; bounded.</summary>
    private async Task<List<JsonNode>> WaitForFiresAsync(HttpClient client, string scheduleId, int count)
    {
        var deadline = DateTime.UtcNow + FireTimeout + TimeSpan.FromSeconds(10 * count);
        while (true)
        {
            var runs = (await (await client.GetAsync($"/api/v1/trigger_runs/all?schedule_trigger_operation_id={scheduleId}")).ReadJsonAsync())
                .AsArray().Select(r => r!).Where(r => r["status"]!.GetValue<string>() is TriggerRunStatus.Completed or TriggerRunStatus.Failed).ToList();
            if (runs.Count >= count)
                return runs;
            Assert.True(DateTime.UtcNow < deadline, $"Schedule {scheduleId} made {runs.Count} finished trigger runs, not {count}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task EveryTenSeconds_WithAFlow_FiresTriggerRunsThatRunTheFlowApproved()
    {
        var (client, _, flow) = await EchoFlowAsync();

        var schedule = await client.PostOkAsync("/api/v1/schedule_trigger_operations/", new
        {
            name = "heartbeat",
            cron = EveryTenSeconds,
            template_body = "Report the heartbeat of <{schedule_name}> at <{fire_time}>",
            flow,
            status = "active",
        });
        var id = schedule["id"]!.GetValue<string>();

        var fires = await WaitForFiresAsync(client, id, 2);
        Assert.All(fires, f => Assert.Equal(TriggerRunStatus.Completed, f["status"]!.GetValue<string>()));
        var times = fires.Select(f => f["fire_time"]!.GetValue<DateTime>().ToUniversalTime()).Order().ToList();
        Assert.All(times, t => Assert.Equal(0, t.Second % 10));
        Assert.Equal(times.Count, times.Distinct().Count());
        var newest = fires.OrderByDescending(f => f["fire_time"]!.GetValue<DateTime>()).First();
        Assert.Null(newest["webhook_trigger_operation"]);
        Assert.Equal(id, newest["schedule_trigger_operation"]!.GetValue<string>());

        var run = await WaitForRunAsync(client, newest["flow_run"]!.GetValue<string>());
        Assert.Equal(RunStatus.Completed, Status(run));
        Assert.Equal(ApprovalStatus.Approved, run["approval_status"]!.GetValue<string>());
        Assert.Equal(RunType.Schedule, run["run_type"]!.GetValue<string>());
        Assert.Equal($"schedule:{id}", run["triggered_by"]!.GetValue<string>());
        var fireTime = newest["fire_time"]!.GetValue<DateTime>().ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal($"Report the heartbeat of heartbeat at {fireTime}", TaskRun(run, 0)["result"]!["message"]!.GetValue<string>());
        var request = await (await client.GetAsync($"/api/v1/flow_requests/?id={newest["flow_request"]}")).ReadJsonAsync();
        Assert.Equal(fireTime, request["request_metadata"]![0]!["fire_time"]!.GetValue<string>());
        Assert.Equal("heartbeat", request["request_metadata"]![0]!["schedule_name"]!.GetValue<string>());

        var read = await (await client.GetAsync($"/api/v1/schedule_trigger_operations/?id={id}")).ReadJsonAsync();
        Assert.True(read["last_fire_time"]!.GetValue<DateTime>() >= newest["fire_time"]!.GetValue<DateTime>());
        await client.PutAsync("/api/v1/schedule_trigger_operations/", JsonHelpers.RawJson($$"""{"id": "{{id}}", "status": "inactive"}"""));
    }

    [Fact]
    public async Task RequiresApproval_TheFiredRunWaitsPending_AndApprovalRunsIt()
    {
        var (client, _, flow) = await EchoFlowAsync();

        var schedule = await client.PostOkAsync("/api/v1/schedule_trigger_operations/", new
        {
            name = "needs a yes",
            cron = EveryTenSeconds,
            template_body = "Report the heartbeat at <{fire_time}>",
            flow,
            requires_approval = true,
            status = "active",
        });
        var id = schedule["id"]!.GetValue<string>();

        var fire = (await WaitForFiresAsync(client, id, 1))[0];
        await client.PutAsync("/api/v1/schedule_trigger_operations/", JsonHelpers.RawJson($$"""{"id": "{{id}}", "status": "inactive"}"""));
        Assert.Equal(TriggerRunStatus.Completed, fire["status"]!.GetValue<string>());
        var runId = fire["flow_run"]!.GetValue<string>();
        var pending = await GetRunAsync(client, runId);
        Assert.Equal(RunStatus.Pending, Status(pending));
        Assert.Null(pending["approval_status"]);
        Assert.Equal(RunType.Schedule, pending["run_type"]!.GetValue<string>());

        var approved = await client.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={runId}", null);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        var run = await WaitForRunAsync(client, runId);
        Assert.Equal(RunStatus.Completed, Status(run));
    }

    [Fact]
    public async Task WebhookOperationWithoutAFlow_ItsRunWaitsPendingForApproval_ThenApprovalRunsIt()
    {
        var (client, _) = await ClientAsync(factory);
        var definition = await factory.TriggerDefinitionIdAsync("core", "Incoming Webhook");
        // Made through the API, which applies the default: no fixed flow, so approval is required.
        var created = await client.PostOkAsync("/api/v1/webhook_trigger_operations/", new
        {
            name = "greetings",
            webhook_trigger_definition = definition,
            template_body = "Send a greeting composed from the request's name <{payload}>",
            status = "active",
        });
        Assert.True(created["requires_approval"]!.GetValue<bool>());
        var operation = Guid.Parse(created["id"]!.GetValue<string>());
        var signing = created["signing_secret"]!.GetValue<string>();

        var response = await factory.CreateClient().SendAsync(PlatformWebhooks.Neena(Path(operation), """{"template": "Hello, {name}!", "values": {"name": "Ada"}}""", signing));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var triggerRun = await factory.WaitForTriggerRunAsync(await TriggerRunIdAsync(response));
        Assert.True(triggerRun.Status == TriggerRunStatus.Completed, triggerRun.Error);
        var runId = triggerRun.FlowRunId!.Value.ToString();
        var pending = await GetRunAsync(client, runId);
        Assert.Equal(RunStatus.Pending, Status(pending));
        Assert.Null(pending["approval_status"]);
        Assert.Equal(RunType.Webhook, pending["run_type"]!.GetValue<string>());
        Assert.Equal($"webhook:{operation}", pending["triggered_by"]!.GetValue<string>());

        var approved = await client.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={runId}", null);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        var run = await WaitForRunAsync(client, runId);
        // Started only now, and run to its end: without a model the generated Compose Text takes its template and values
        // from the payload's fields.
        Assert.Equal(RunStatus.Completed, Status(run));
        Assert.True(run["start_time"]!.GetValue<DateTime>() >= pending["created_date"]!.GetValue<DateTime>());
        Assert.Equal(ApprovalStatus.Approved, run["approval_status"]!.GetValue<string>());
        Assert.NotNull(run["start_time"]);
    }
}
