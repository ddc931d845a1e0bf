using System.Net;
using Microsoft.EntityFrameworkCore;
using Neena.Domain.Triggers;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Triggers.TriggerTestSupport;

namespace Neena.IntegrationTests.Triggers;

/// <summary>Reads of trigger runs; the rows are written directly, as the receiver (not part of these tests) would write them.</summary>
public sealed class TriggerRunsTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private static readonly string[] ResponseKeys =
    [
        "id", "webhook_trigger_operation", "status", "event", "integration_entity_id", "flow_request", "flow_run", "error",
        "created_date", "modified_date", "schedule_trigger_operation", "fire_time",
    ];

    public static TheoryData<string> BothSurfaces => Surfaces;

    [Theory]
    [MemberData(nameof(BothSurfaces))]
    public async Task Get_OneRun_AnswersItsFields(string surface)
    {
        var tenant = await factory.CreateTenantAsync();
        var operation = await CreateGenericOperationAsync(factory, tenant);
        var run = await InsertTriggerRunAsync(factory, tenant, operation, entityId: "card-1", status: TriggerRunStatus.Failed, error: "No flow fits the request");

        var response = await factory.Client(tenant, surface).GetAsync($"{surface}/trigger_runs/?id={run.Id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal(ResponseKeys, body.AsObject().Select(p => p.Key));
        Assert.Equal(run.Id.ToString(), body["id"]!.GetValue<string>());
        Assert.Equal(operation.ToString(), body["webhook_trigger_operation"]!.GetValue<string>());
        Assert.Equal("failed", body["status"]!.GetValue<string>());
        Assert.Equal("card-1", body["event"]!["action"]!["data"]!["card"]!["id"]!.GetValue<string>());
        Assert.Equal("card-1", body["integration_entity_id"]!.GetValue<string>());
        Assert.Null(body["flow_request"]);
        Assert.Null(body["flow_run"]);
        Assert.Equal("No flow fits the request", body["error"]!.GetValue<string>());
        Assert.EndsWith("Z", body["created_date"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_RunWithItsRequestAndFlowRun_LinksThem()
    {
        var tenant = await factory.CreateTenantAsync();
        var operation = await CreateGenericOperationAsync(factory, tenant);
        var flow = await CreateFlowAsync(factory, tenant);
        var (flowRun, _) = await InsertFinishedRunAsync(factory, tenant, flow, null, null);
        var run = await InsertTriggerRunAsync(factory, tenant, operation, status: TriggerRunStatus.Completed);
        Guid requestId;
        await using (var db = factory.CreateDbContext(tenant.OrganizationId))
        {
            requestId = await db.FlowRuns.Where(r => r.Id == flowRun).Select(r => r.FlowRequestId).SingleAsync();
            await db.TriggerRuns.Where(r => r.Id == run.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.FlowRunId, flowRun).SetProperty(r => r.FlowRequestId, requestId));
        }

        var body = await (await factory.ClientWithBearer(tenant.ApiKey).GetAsync($"/api/v1/trigger_runs/?id={run.Id}")).ReadJsonAsync();

        Assert.Equal("completed", body["status"]!.GetValue<string>());
        Assert.Equal(flowRun.ToString(), body["flow_run"]!.GetValue<string>());
        Assert.Equal(requestId.ToString(), body["flow_request"]!.GetValue<string>());
        Assert.Null(body["error"]);
    }

    [Theory]
    [MemberData(nameof(BothSurfaces))]
    public async Task List_NewestFirstPagedAndFilteredByOperation(string surface)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.Client(tenant, surface);
        var first = await CreateGenericOperationAsync(factory, tenant, "first");
        var second = await CreateGenericOperationAsync(factory, tenant, "second");
        var runs = new List<Guid>();
        for (var i = 0; i < 5; i++)
            runs.Add((await InsertTriggerRunAsync(factory, tenant, i % 2 == 0 ? first : second, entityId: $"e{i}")).Id);

        var all = await (await client.GetAsync($"{surface}/trigger_runs/all")).ReadJsonAsync();
        var page = await (await client.GetAsync($"{surface}/trigger_runs/all?skip=1&limit=2")).ReadJsonAsync();
        var ofFirst = await (await client.GetAsync($"{surface}/trigger_runs/all?webhook_trigger_operation_id={first}")).ReadJsonAsync();
        var ofSecondPaged = await (await client.GetAsync($"{surface}/trigger_runs/all?webhook_trigger_operation_id={second}&limit=1")).ReadJsonAsync();

        static List<string> Ids(System.Text.Json.Nodes.JsonNode list) => list.AsArray().Select(r => r!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(Enumerable.Range(0, 5).Reverse().Select(i => runs[i].ToString()), Ids(all));
        Assert.Equal([runs[3].ToString(), runs[2].ToString()], Ids(page));
        Assert.Equal([runs[4].ToString(), runs[2].ToString(), runs[0].ToString()], Ids(ofFirst));
        Assert.Equal([runs[3].ToString()], Ids(ofSecondPaged));
    }

    [Fact]
    public async Task List_DeletedOperation_ItsRunsStayReadable()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var operation = await CreateGenericOperationAsync(factory, tenant);
        var run = await InsertTriggerRunAsync(factory, tenant, operation);
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/v1/webhook_trigger_operations/?id={operation}")).StatusCode);

        var list = await (await client.GetAsync($"/api/v1/trigger_runs/all?webhook_trigger_operation_id={operation}")).ReadJsonAsync();
        var one = await client.GetAsync($"/api/v1/trigger_runs/?id={run.Id}");

        Assert.Equal([run.Id.ToString()], list.AsArray().Select(r => r!["id"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
    }

    [Theory]
    [MemberData(nameof(BothSurfaces))]
    public async Task Endpoints_AnotherOrganizationsRunsAndOperations_Return404AndListsHideThem(string surface)
    {
        var owner = await factory.CreateTenantAsync();
        var stranger = await factory.CreateTenantAsync();
        var operation = await CreateGenericOperationAsync(factory, owner);
        var run = await InsertTriggerRunAsync(factory, owner, operation);
        var client = factory.Client(stranger, surface);

        var get = await client.GetAsync($"{surface}/trigger_runs/?id={run.Id}");
        var filtered = await client.GetAsync($"{surface}/trigger_runs/all?webhook_trigger_operation_id={operation}");
        var unknown = await client.GetAsync($"{surface}/trigger_runs/all?webhook_trigger_operation_id={Guid.NewGuid()}");
        var all = await (await client.GetAsync($"{surface}/trigger_runs/all")).ReadJsonAsync();

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("Trigger run not found", await get.DetailAsync());
        Assert.Equal(HttpStatusCode.NotFound, filtered.StatusCode);
        Assert.Equal(await unknown.Content.ReadAsStringAsync(), await filtered.Content.ReadAsStringAsync());
        Assert.Equal("Webhook trigger operation not found", await filtered.DetailAsync());
        Assert.Empty(all.AsArray());
    }

    [Fact]
    public async Task ReadOnlyKey_ReadsTriggerRuns()
    {
        var tenant = await factory.CreateTenantAsync();
        var operation = await CreateGenericOperationAsync(factory, tenant);
        var run = await InsertTriggerRunAsync(factory, tenant, operation);
        var readKey = (await factory.ClientWithBearer(tenant.ApiKey).PostOkAsync("/api/v1/api_keys/", new { name = "reader", permissions = new[] { "read" } }))["key"]!.GetValue<string>();

        var one = await factory.ClientWithApiKeyHeader(readKey).GetAsync($"/trigger_runs/?id={run.Id}");
        var list = await factory.ClientWithBearer(readKey).GetAsync($"/api/v1/trigger_runs/all?webhook_trigger_operation_id={operation}");

        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    [Theory]
    [InlineData("/api/v1/trigger_runs/", "query.id", "field required")]
    [InlineData("/api/v1/trigger_runs/?id=nope", "query.id", "value is not a valid uuid")]
    [InlineData("/api/v1/trigger_runs/all?webhook_trigger_operation_id=nope", "query.webhook_trigger_operation_id", "value is not a valid uuid")]
    [InlineData("/trigger_runs/all?limit=1001", "query.limit", "ensure this value is between 0 and 1000")]
    [InlineData("/trigger_runs/all?skip=-1", "query.skip", "ensure this value is greater than or equal to 0")]
    public async Task Read_InvalidQuery_Returns422AtTheParameter(string url, string location, string message)
    {
        var tenant = await factory.CreateTenantAsync();

        var response = await factory.ClientWithBearer(tenant.ApiKey).GetAsync(url);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(message, await response.ErrorMessageAsync(location));
    }
}
