using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Neena.IntegrationTests.Authoring;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.FlowRuns;

/// <summary>The flow-runs API alone: the engine is off, so runs stay where the API puts them.</summary>
public sealed class EngineOffFactory : NeenaFactory
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { ["Engine:Enabled"] = "false" };
}

public sealed class FlowRunsTests(EngineOffFactory factory) : IClassFixture<EngineOffFactory>
{
    private static readonly string[] RunKeys = ["flow", "flow_request", "status", "approval_status", "triggered_time", "end_time", "triggered_by", "id", "task_runs"];
    private static readonly string[] TaskRunKeys = ["id", "flow_run", "task_operation_index", "status", "start_time", "end_time", "task_prep_prompt", "task_prep_answer", "result"];
    private static readonly string[] PreviewKeys = ["id", "flow_name", "flow_request_instructions", "approval_status", "start_time", "status", "end_time"];
    private static readonly string[] ResultKeys = ["body", "trigger_run_id", "integration_entity_id", "flow_run_id", "organization_id", "id", "created_date", "modified_date", "created_by_email", "modified_by_email", "deleted_at"];

    private sealed record Setup(TestTenant Tenant, HttpClient V1, HttpClient Legacy, string FlowId, string RequestId);

    private async Task<Setup> SetUpAsync(int operations = 3)
    {
        var tenant = await factory.CreateTenantAsync();
        var v1 = factory.ClientWithBearer(tenant.ApiKey);
        var legacy = factory.ClientWithApiKeyHeader(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var ops = Enumerable.Range(0, operations).Select(i => new { name = $"op{i}", task_definition = echo, index = i, parameters = new { message = $"m{i}" } }).ToArray();
        var deps = Enumerable.Range(1, operations - 1).Select(i => new { source_task_operation = i - 1, target_task_operation = i }).ToArray();
        var flow = await (await v1.PostJsonAsync("/api/v1/flows/", new { name = "Run me", task_operations = ops, dependencies = deps })).ReadJsonAsync();
        var request = await (await v1.PostJsonAsync("/api/v1/flow_requests/", new { request_instructions = "Please run the flow." })).ReadJsonAsync();
        return new Setup(tenant, v1, legacy, flow["id"]!.GetValue<string>(), request["id"]!.GetValue<string>());
    }

    private static async Task<JsonNode> CreateRunAsync(Setup s, string? approval = null, HttpClient? client = null, string path = "/api/v1/flow_runs/")
    {
        var response = await (client ?? s.V1).PostJsonAsync(path, new { flow = s.FlowId, flow_request = s.RequestId, status = "pending", approval_status = approval, triggered_time = (DateTime?)null, end_time = (DateTime?)null, triggered_by = (string?)null });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadJsonAsync();
    }

    [Fact]
    public async Task Create_SeedBodyOnBothSurfaces_ReturnsPendingRunWithSeedKeys()
    {
        var s = await SetUpAsync();

        var v1 = await CreateRunAsync(s);
        var legacy = await CreateRunAsync(s, client: s.Legacy, path: "/flow_runs");

        foreach (var run in new[] { v1, legacy })
        {
            foreach (var key in RunKeys)
                Assert.True(run.AsObject().ContainsKey(key), key);
            Assert.Equal("pending", run["status"]!.GetValue<string>());
            Assert.Null(run["approval_status"]);
            Assert.Null(run["end_time"]);
            Assert.Equal(s.Tenant.Email, run["triggered_by"]!.GetValue<string>());
            Assert.NotNull(run["triggered_time"]);
            Assert.Empty(run["task_runs"]!.AsArray());
        }
    }

    [Fact]
    public async Task Approve_PendingRun_StartsItWithOrderedPendingTaskRuns()
    {
        var s = await SetUpAsync(operations: 3);
        var id = (await CreateRunAsync(s))["id"]!.GetValue<string>();

        var approved = await s.Legacy.PutAsync($"/flow_runs/approve?flow_run_id={id}", null);

        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        var run = await approved.ReadJsonAsync();
        Assert.Equal("approved", run["approval_status"]!.GetValue<string>());
        Assert.Equal("in_progress", run["status"]!.GetValue<string>());
        var taskRuns = run["task_runs"]!.AsArray();
        Assert.Equal([0, 1, 2], taskRuns.Select(t => t!["task_operation_index"]!.GetValue<int>()));
        Assert.All(taskRuns, t => Assert.Equal("pending", t!["status"]!.GetValue<string>()));
        Assert.All(taskRuns, t => Assert.Equal(id, t!["flow_run"]!.GetValue<string>()));
        foreach (var key in TaskRunKeys)
            Assert.True(taskRuns[0]!.AsObject().ContainsKey(key), key);
    }

    [Fact]
    public async Task Approve_Twice_Returns409()
    {
        var s = await SetUpAsync();
        var id = (await CreateRunAsync(s))["id"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.OK, (await s.V1.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={id}", null)).StatusCode);
        var again = await s.V1.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={id}", null);

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.NotNull(await again.DetailAsync());
    }

    [Fact]
    public async Task Approve_Concurrently_OneWinsOthersGet409AndTaskRunsAreCreatedOnce()
    {
        var s = await SetUpAsync(operations: 2);
        var id = (await CreateRunAsync(s))["id"]!.GetValue<string>();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => factory.ClientWithBearer(s.Tenant.ApiKey).PutAsync($"/api/v1/flow_runs/approve?flow_run_id={id}", null)));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(7, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        await using var db = factory.CreateDbContext();
        Assert.Equal(2, await db.TaskRuns.IgnoreQueryFilters().CountAsync(t => t.FlowRunId == Guid.Parse(id)));
    }

    [Fact]
    public async Task ApproveAndCancel_Racing_EndInOneConsistentState()
    {
        for (var round = 0; round < 5; round++)
        {
            var s = await SetUpAsync(operations: 2);
            var id = (await CreateRunAsync(s))["id"]!.GetValue<string>();

            var results = await Task.WhenAll(
                factory.ClientWithBearer(s.Tenant.ApiKey).PutAsync($"/api/v1/flow_runs/approve?flow_run_id={id}", null),
                factory.ClientWithBearer(s.Tenant.ApiKey).PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={id}", null));

            Assert.All(results, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict }));
            var run = await (await s.V1.GetAsync($"/api/v1/flow_runs/?id={id}")).ReadJsonAsync();
            Assert.Equal("cancelled", run["status"]!.GetValue<string>()); // cancel always lands: on a pending or on an approved run
            Assert.All(run["task_runs"]!.AsArray(), t => Assert.Equal("cancelled", t!["status"]!.GetValue<string>()));
            await using var db = factory.CreateDbContext();
            Assert.Equal(1, await db.FlowResults.IgnoreQueryFilters().CountAsync(r => r.FlowRunId == Guid.Parse(id)));
        }
    }

    [Fact]
    public async Task Create_Approved_StartsAtOnce_Rejected_IsCancelled()
    {
        var s = await SetUpAsync();

        var approved = await CreateRunAsync(s, "approved");
        var rejected = await CreateRunAsync(s, "rejected");

        Assert.Equal("in_progress", approved["status"]!.GetValue<string>());
        Assert.Equal(3, approved["task_runs"]!.AsArray().Count);
        Assert.Equal("cancelled", rejected["status"]!.GetValue<string>());
        Assert.Equal("rejected", rejected["approval_status"]!.GetValue<string>());
        Assert.NotNull(rejected["end_time"]);
    }

    [Theory]
    [InlineData("""{"flow_request": "REQ", "flow": "FLOW", "status": "completed"}""", "body.status")]
    [InlineData("""{"flow_request": "REQ", "flow": "FLOW", "status": "running"}""", "body.status")]
    [InlineData("""{"flow_request": "REQ", "flow": "FLOW", "approval_status": "maybe"}""", "body.approval_status")]
    [InlineData("""{"flow_request": "REQ", "flow": "FLOW", "end_time": "2024-01-01T00:00:00Z"}""", "body.end_time")]
    [InlineData("""{"flow_request": "REQ", "flow": "FLOW", "triggered_time": "yesterday"}""", "body.triggered_time")]
    [InlineData("""{"flow_request": "REQ"}""", "body.flow")]
    [InlineData("""{"flow": "FLOW"}""", "body.flow_request")]
    [InlineData("""{"flow_request": "REQ", "flow": "not-a-uuid"}""", "body.flow")]
    [InlineData("""{"flow_request": "REQ", "flow": "00000000-0000-0000-0000-000000000001"}""", "body.flow")]
    [InlineData("""{"flow_request": "00000000-0000-0000-0000-000000000001", "flow": "FLOW"}""", "body.flow_request")]
    public async Task Create_InvalidBody_Returns422(string json, string location)
    {
        var s = await SetUpAsync();

        var response = await s.V1.PostAsync("/api/v1/flow_runs/", JsonHelpers.RawJson(json.Replace("REQ", s.RequestId, StringComparison.Ordinal).Replace("FLOW", s.FlowId, StringComparison.Ordinal)));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(location, await response.ErrorLocationsAsync());
        Assert.Empty((await (await s.V1.GetAsync("/api/v1/flow_runs/all")).ReadJsonAsync()).AsArray());
    }

    [Fact]
    public async Task Transitions_RefusedOnes_Return409AndUnknown404()
    {
        var s = await SetUpAsync();
        var id = (await CreateRunAsync(s))["id"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.OK, (await s.V1.PutAsync($"/api/v1/flow_runs/reject?flow_run_id={id}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await s.V1.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={id}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await s.V1.PutAsync($"/api/v1/flow_runs/reject?flow_run_id={id}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await s.V1.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={id}", null)).StatusCode);
        foreach (var action in new[] { "approve", "reject", "cancel" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await s.V1.PutAsync($"/api/v1/flow_runs/{action}?flow_run_id={Guid.NewGuid()}", null)).StatusCode);
            var missing = await s.V1.PutAsync($"/api/v1/flow_runs/{action}", null);
            Assert.Equal("field required", await missing.ErrorMessageAsync("query.flow_run_id"));
            Assert.Equal("value is not a valid uuid", await (await s.V1.PutAsync($"/api/v1/flow_runs/{action}?flow_run_id=x", null)).ErrorMessageAsync("query.flow_run_id"));
        }
    }

    [Fact]
    public async Task Reject_ApprovedRun_Returns409_Cancel_ApprovedRun_CancelsTasks()
    {
        var s = await SetUpAsync();
        var id = (await CreateRunAsync(s, "approved"))["id"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.Conflict, (await s.V1.PutAsync($"/api/v1/flow_runs/reject?flow_run_id={id}", null)).StatusCode);
        var cancelled = await (await s.Legacy.PutAsync($"/flow_runs/cancel?flow_run_id={id}", null)).ReadJsonAsync();

        Assert.Equal("cancelled", cancelled["status"]!.GetValue<string>());
        Assert.NotNull(cancelled["end_time"]);
        Assert.All(cancelled["task_runs"]!.AsArray(), t => Assert.Equal("cancelled", t!["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task WithFlowResult_KeyDiffersBySurface()
    {
        var s = await SetUpAsync();
        var id = (await CreateRunAsync(s))["id"]!.GetValue<string>();

        var before = await (await s.V1.GetAsync($"/api/v1/flow_runs/with_flow_result?id={id}")).ReadJsonAsync();
        Assert.True(before.AsObject().ContainsKey("flow_result"));
        Assert.Null(before["flow_result"]);

        await s.V1.PutAsync($"/api/v1/flow_runs/reject?flow_run_id={id}", null);
        var v1 = await (await s.V1.GetAsync($"/api/v1/flow_runs/with_flow_result?id={id}")).ReadJsonAsync();
        var legacy = await (await s.Legacy.GetAsync($"/flow_runs/with_flow_result?id={id}")).ReadJsonAsync();

        Assert.False(v1.AsObject().ContainsKey("result"));
        Assert.False(legacy.AsObject().ContainsKey("flow_result"));
        Assert.Equal(ResultKeys, v1["flow_result"]!.AsObject().Select(p => p.Key));
        Assert.Equal(ResultKeys, legacy["result"]!.AsObject().Select(p => p.Key));
        Assert.Equal(id, legacy["result"]!["flow_run_id"]!.GetValue<string>());
        Assert.Equal(s.Tenant.OrganizationId.ToString(), legacy["result"]!["organization_id"]!.GetValue<string>());
        Assert.Equal("cancelled", JsonNode.Parse(legacy["result"]!["body"]!.GetValue<string>())!["status"]!.GetValue<string>());
        foreach (var key in RunKeys)
            Assert.True(legacy.AsObject().ContainsKey(key), key);
    }

    [Fact]
    public async Task Lists_FiltersPaginationAndPreview()
    {
        var s = await SetUpAsync();
        var pending = (await CreateRunAsync(s))["id"]!.GetValue<string>();
        var approved = (await CreateRunAsync(s, "approved"))["id"]!.GetValue<string>();
        var rejected = (await CreateRunAsync(s, "rejected"))["id"]!.GetValue<string>();
        var otherFlow = await FlowsTests.CreateEchoFlowAsync(factory, s.V1);

        static IEnumerable<string> Ids(JsonNode list) => list.AsArray().Select(r => r!["id"]!.GetValue<string>());

        Assert.Equal([rejected, approved, pending], Ids(await (await s.V1.GetAsync("/api/v1/flow_runs/all")).ReadJsonAsync()));
        Assert.Equal([approved, pending], Ids(await (await s.V1.GetAsync("/api/v1/flow_runs/all?status=pending,in_progress")).ReadJsonAsync()));
        Assert.Equal([approved], Ids(await (await s.V1.GetAsync("/api/v1/flow_runs/all?skip=1&limit=1")).ReadJsonAsync()));
        Assert.Equal(3, Ids(await (await s.V1.GetAsync($"/api/v1/flow_runs/all?flow_id={s.FlowId}")).ReadJsonAsync()).Count());
        Assert.Empty(Ids(await (await s.V1.GetAsync($"/api/v1/flow_runs/all?flow_id={otherFlow}")).ReadJsonAsync()));
        Assert.Equal(3, Ids(await (await s.V1.GetAsync($"/api/v1/flow_runs/all?start_date={DateTime.UtcNow.AddHours(-1):O}&end_date={DateTime.UtcNow.AddHours(1):O}")).ReadJsonAsync()).Count());
        Assert.Empty(Ids(await (await s.V1.GetAsync($"/api/v1/flow_runs/all?start_date={DateTime.UtcNow.AddHours(1):yyyy-MM-ddTHH:mm:ss}")).ReadJsonAsync()));
        Assert.Equal(3, Ids(await (await s.Legacy.GetAsync($"/flow_runs/all_for_flow_id?flow_id={s.FlowId}")).ReadJsonAsync()).Count());
        Assert.Empty(Ids(await (await s.Legacy.GetAsync($"/flow_runs/all_for_flow_id?flow_id={otherFlow}")).ReadJsonAsync()));

        var preview = await (await s.Legacy.GetAsync("/flow_runs/preview/all?status=in_progress")).ReadJsonAsync();
        var row = preview.AsArray().Single()!;
        foreach (var key in PreviewKeys)
            Assert.True(row.AsObject().ContainsKey(key), key);
        Assert.Equal("Run me", row["flow_name"]!.GetValue<string>());
        Assert.Equal("Please run the flow.", row["flow_request_instructions"]!.GetValue<string>());
        Assert.NotNull(row["start_time"]);
    }

    [Theory]
    [InlineData("status=done", "query.status")]
    [InlineData("flow_id=nope", "query.flow_id")]
    [InlineData("start_date=never", "query.start_date")]
    [InlineData("end_date=2024-13-45", "query.end_date")]
    [InlineData("start_date=2025-01-02&end_date=2025-01-01", "query.end_date")]
    [InlineData("limit=5000", "query.limit")]
    public async Task Lists_BadFilters_Return422(string query, string location)
    {
        var s = await SetUpAsync();

        foreach (var path in new[] { "/api/v1/flow_runs/all", "/flow_runs/preview/all" })
        {
            var response = await s.V1.GetAsync($"{path}?{query}");
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal([location], await response.ErrorLocationsAsync());
        }
    }

    [Fact]
    public async Task Endpoints_AnotherOrganizationsRun_Return404AndListsHideIt()
    {
        var a = await SetUpAsync();
        var id = (await CreateRunAsync(a))["id"]!.GetValue<string>();
        var b = await SetUpAsync();

        Assert.Equal(HttpStatusCode.NotFound, (await b.V1.GetAsync($"/api/v1/flow_runs/?id={id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Legacy.GetAsync($"/flow_runs/with_flow_result?id={id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.V1.GetAsync($"/api/v1/flow_runs/all_for_flow_id?flow_id={a.FlowId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.V1.GetAsync($"/api/v1/flow_runs/events?id={id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Legacy.GetAsync($"/flow_runs/events?id={id}")).StatusCode);
        foreach (var action in new[] { "approve", "reject", "cancel", "retry" })
            Assert.Equal(HttpStatusCode.NotFound, (await b.V1.PutAsync($"/api/v1/flow_runs/{action}?flow_run_id={id}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.V1.GetAsync($"/api/v1/flow_runs/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Legacy.GetAsync($"/flow_runs/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.V1.GetAsync($"/api/v1/analytics/org/{a.Tenant.OrganizationId}/flows/{a.FlowId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Legacy.GetAsync($"/analytics/org/{b.Tenant.OrganizationId}/flows/{a.FlowId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Legacy.GetAsync($"/analytics/org/{a.Tenant.OrganizationId}/summary")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.V1.GetAsync($"/api/v1/analytics/org/{b.Tenant.OrganizationId}/summary?flow_id={a.FlowId}")).StatusCode);
        Assert.Empty((await (await b.V1.GetAsync("/api/v1/flow_runs/all")).ReadJsonAsync()).AsArray());
        Assert.Empty((await (await b.V1.GetAsync("/api/v1/flow_runs/preview/all")).ReadJsonAsync()).AsArray());
        var foreign = await b.V1.PostJsonAsync("/api/v1/flow_runs/", new { flow = a.FlowId, flow_request = a.RequestId });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, foreign.StatusCode);
        Assert.Equal(["body.flow", "body.flow_request"], await foreign.ErrorLocationsAsync());

        var run = await (await a.V1.GetAsync($"/api/v1/flow_runs/?id={id}")).ReadJsonAsync();
        Assert.Equal("pending", run["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task DeleteFlow_WithOpenRun_Returns409()
    {
        var s = await SetUpAsync();
        var id = (await CreateRunAsync(s))["id"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.Conflict, (await s.V1.DeleteAsync($"/api/v1/flows/?id={s.FlowId}")).StatusCode);
        await s.V1.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={id}", null);
        Assert.Equal(HttpStatusCode.OK, (await s.V1.DeleteAsync($"/api/v1/flows/?id={s.FlowId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.V1.GetAsync($"/api/v1/flow_runs/all_for_flow_id?flow_id={s.FlowId}")).StatusCode);
    }
}
