using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Neena.Domain.Common;
using Neena.Domain.FlowRuns;
using Neena.Domain.Triggers;
using Neena.IntegrationTests.Engine;
using Neena.IntegrationTests.Infrastructure;
using Neena.IntegrationTests.Triggers;
using Neena.StandIns;
using Npgsql;
using static Neena.IntegrationTests.Engine.EngineTestSupport;
using static Neena.IntegrationTests.Triggers.WebhookTestSupport;

namespace Neena.IntegrationTests.Platform;

/// <summary>Deep JSON, shared by the tests below.</summary>
internal static class DeepJson
{
    /// <summary><c>{"x": {"x": … 1 …}}</c>, nesting exactly <paramref name="depth"/> objects.</summary>
    public static string Objects(int depth) => string.Concat(Enumerable.Repeat("{\"x\": ", depth)) + "1" + new string('}', depth);

    /// <summary>Responses may carry values nested deeper than the 64 levels <see cref="JsonNode.Parse(string, JsonNodeOptions?, JsonDocumentOptions)"/> takes by default.</summary>
    public static async Task<JsonNode> ReadDeepJsonAsync(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync(), documentOptions: new JsonDocumentOptions { MaxDepth = 1000 })!;
}

/// <summary>
/// Nothing is stored that does not read back (contract §3): JSON deeper than <see cref="JsonDepth.MaxStored"/> as it will be
/// stored is refused where it comes in, and rows stored before the limit (or written around it) do not break reads.
/// </summary>
public sealed class JsonDepthTests(FuzzFactory factory) : IClassFixture<FuzzFactory>
{
    [Theory]
    [InlineData(61)]
    [InlineData(JsonDepth.MaxStored - 1)]
    public async Task RequestMetadata_NestedDeeperThanTheLimit_Is422AtTheField_AtTheLimitReadsBackEverywhere(int depth)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        // [{"x": <depth>}] is depth + 2 levels as stored: over the limit for both cases.
        var body = $$"""{"request_instructions": "Handle the deep data, please.", "request_metadata": [{"x": {{DeepJson.Objects(depth)}}}]}""";

        var created = await client.PostAsJsonAsyncRaw("/api/v1/flow_requests/", body);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, created.StatusCode);
        Assert.Equal(["body.request_metadata"], await created.ErrorLocationsAsync());
        Assert.Contains("nested too deeply", await created.ErrorMessageAsync("body.request_metadata"), StringComparison.Ordinal);
        Assert.Equal(0, await factory.CountAsync("SELECT count(*) FROM flow_requests WHERE organization_id = $1", tenant.OrganizationId));

        var request = Guid.Parse((await (await client.PostJsonAsync("/api/v1/flow_requests/", new { request_instructions = "A shallow request, please." })).ReadJsonAsync())["id"]!.GetValue<string>());
        var updated = await client.PutAsync("/api/v1/flow_requests/", JsonHelpers.RawJson($$"""{"id": "{{request}}", "request_metadata": [{"x": {{DeepJson.Objects(depth)}}}]}"""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, updated.StatusCode);
        Assert.Equal(["body.request_metadata"], await updated.ErrorLocationsAsync());

        var list = await client.GetAsync("/api/v1/flow_requests/all");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Single((await list.ReadJsonAsync()).AsArray());

        // At the limit: stored, and it reads back in the list, alone, and deleted.
        var metadata = $$"""[{"x": {{DeepJson.Objects(JsonDepth.MaxStored - 2)}}}]""";
        var atLimit = await client.PostAsJsonAsyncRaw("/api/v1/flow_requests/", $$"""{"request_instructions": "Handle the deep data, please.", "request_metadata": {{metadata}}}""");
        Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
        var id = (await atLimit.ReadJsonAsync())["id"]!.GetValue<string>();
        var one = await (await client.GetAsync($"/api/v1/flow_requests/?id={id}")).ReadJsonAsync();
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(metadata), one["request_metadata"]));
        Assert.Equal(2, (await (await client.GetAsync("/api/v1/flow_requests/all")).ReadJsonAsync()).AsArray().Count);
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/v1/flow_requests/?id={id}")).StatusCode);
    }

    [Fact]
    public async Task TaskOperationParameters_NestedDeeperThanTheLimit_Are422AtTheField()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var body = $$$"""{"name": "deep", "task_operations": [{"name": "echo", "task_definition": "{{{echo}}}", "index": 0, "parameters": {"message": "hi", "data": {{{DeepJson.Objects(JsonDepth.MaxStored)}}}}}], "dependencies": []}""";

        var response = await client.PostAsJsonAsyncRaw("/api/v1/flows/", body);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(["body.task_operations.0.parameters"], await response.ErrorLocationsAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/flows/all")).StatusCode);
    }

    /// <summary>Rows written before the limit existed (or by hand): one a reader of 64 levels could not take, one too deep for any reader.</summary>
    [Fact]
    public async Task StoredRowsTooDeepToRead_DoNotBreakTheListGetOrDelete_TheyReadAsAMarker()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var legacy = await InsertRequestAsync(tenant, 66);
        var unreadable = await InsertRequestAsync(tenant, JsonDepth.MaxRead + 50);
        var operation = await TriggerTestSupport.CreateGenericOperationAsync(factory, tenant);
        var triggerRun = (await TriggerTestSupport.InsertTriggerRunAsync(factory, tenant, operation)).Id;
        await ExecuteAsync("UPDATE trigger_runs SET event = ('{\"payload\": ' || repeat('[', $2) || repeat(']', $2) || '}')::jsonb WHERE id = $1", triggerRun, JsonDepth.MaxRead + 50);

        var list = await client.GetAsync("/api/v1/flow_requests/all");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var rows = (await list.ReadDeepJsonAsync()).AsArray().ToDictionary(r => r!["id"]!.GetValue<string>());
        Assert.Equal(66, Depth(rows[legacy.ToString()]!["request_metadata"]));
        var marker = rows[unreadable.ToString()]!["request_metadata"]!.AsArray().Single()!.AsObject();
        Assert.Contains("cannot be read", marker[JsonDepth.UnreadableProperty]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/flow_requests/?id={unreadable}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/flow_requests/?id={legacy}")).StatusCode);

        var triggerRuns = await client.GetAsync("/api/v1/trigger_runs/all");
        Assert.Equal(HttpStatusCode.OK, triggerRuns.StatusCode);
        Assert.NotNull((await triggerRuns.ReadDeepJsonAsync()).AsArray().Single()!["event"]![JsonDepth.UnreadableProperty]);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/trigger_runs/?id={triggerRun}")).StatusCode);

        // Deleting reads the row and writes only deleted_at: the stored value is left as it was, not replaced by the marker.
        const string Brackets = "SELECT length(request_metadata::text) - length(replace(request_metadata::text, '[', '')) FROM flow_requests WHERE id = $1";
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/v1/flow_requests/?id={unreadable}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/v1/flow_requests/?id={legacy}")).StatusCode);
        Assert.Equal(JsonDepth.MaxRead + 49, await factory.CountAsync(Brackets, unreadable));
        Assert.Empty((await (await client.GetAsync("/api/v1/flow_requests/all")).ReadJsonAsync()).AsArray());
    }

    private async Task<Guid> InsertRequestAsync(TestTenant tenant, int depth)
    {
        var id = Guid.CreateVersion7();
        // [{"x": [[…]]}]: depth levels in all.
        await ExecuteAsync("""
            INSERT INTO flow_requests (id, organization_id, request_instructions, request_metadata, created_date, modified_date)
            VALUES ($1, $2, 'A row from before the limit.', ('[{"x": ' || repeat('[', $3) || repeat(']', $3) || '}]')::jsonb, now(), now())
            """, id, tenant.OrganizationId, depth - 2);
        return id;
    }

    private async Task ExecuteAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
            command.Parameters.AddWithValue(p);
        await command.ExecuteNonQueryAsync();
    }

    private static int Depth(JsonNode? node) => node switch
    {
        JsonObject o => 1 + o.Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
        JsonArray a => 1 + a.Select(Depth).DefaultIfEmpty(0).Max(),
        _ => 0,
    };
}

/// <summary>The receiver refuses a delivery too deep for the flow request it becomes; one at the limit goes all the way through.</summary>
public sealed class WebhookJsonDepthTests(WebhookFactory factory) : IClassFixture<WebhookFactory>
{
    private const string Secret = "whsec_0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab";

    private async Task<(HttpClient Client, TestTenant Tenant, Guid Operation)> EchoOperationAsync()
    {
        var (client, tenant) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "echo", [new Op(0, echo, new { message = "got it", data = "{{request.metadata.payload}}" })]);
        var operation = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", "Echo the delivery back", flowId: Guid.Parse(flow), signingSecret: Secret);
        return (client, tenant, operation);
    }

    private const int WebhookBodyDepthLimit = Neena.Api.Services.Triggers.WebhookBodyDepth.MaxBodyDepth;

    [Fact]
    public async Task SignedBody_DeeperThanTheLimit_Is422AndStoresNothing_AtTheLimitIsStoredReadsBackRunsAndCanBeDeleted()
    {
        var (client, tenant, operation) = await EchoOperationAsync();
        foreach (var depth in new[] { 62, WebhookBodyDepthLimit + 1 })
        {
            var refused = await factory.CreateClient().SendAsync(PlatformWebhooks.Neena(Path(operation), DeepJson.Objects(depth), Secret));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.Equal(["body"], await refused.ErrorLocationsAsync());
            Assert.Equal((0, 0, 0), await factory.RowsAsync(tenant));
        }

        var body = DeepJson.Objects(WebhookBodyDepthLimit);

        var response = await factory.CreateClient().SendAsync(PlatformWebhooks.Neena(Path(operation), body, Secret));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var triggerRun = await factory.WaitForTriggerRunAsync(await TriggerRunIdAsync(response));
        Assert.True(triggerRun.Status == TriggerRunStatus.Completed, triggerRun.Error);
        var run = await WaitForRunAsync(client, triggerRun.FlowRunId!.Value.ToString());
        Assert.True(Status(run) == RunStatus.Completed, run.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(body), TaskRun(run, 0)["result"]!["data"]));

        var triggerRuns = await client.GetAsync("/api/v1/trigger_runs/all");
        Assert.Equal(HttpStatusCode.OK, triggerRuns.StatusCode);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(body), (await triggerRuns.ReadJsonAsync()).AsArray().Single()!["event"]));
        var requests = await client.GetAsync("/api/v1/flow_requests/all");
        Assert.Equal(HttpStatusCode.OK, requests.StatusCode);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(body), (await requests.ReadJsonAsync()).AsArray().Single()!["request_metadata"]![0]!["payload"]));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/flow_requests/?id={triggerRun.FlowRequestId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/flow_runs/?id={triggerRun.FlowRunId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/v1/flow_requests/?id={triggerRun.FlowRequestId}")).StatusCode);
        Assert.Equal((1, 1, 1), await factory.RowsAsync(tenant));
    }
}

/// <summary>The engine with a run whose stored data no reader takes (written before the limit, or by hand).</summary>
public sealed class EngineJsonDepthTests(EngineFactory factory) : IClassFixture<EngineFactory>
{
    [Fact]
    public async Task Run_WhoseRequestMetadataIsTooDeepToRead_FailsAtOnceSayingSo()
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "echo", [new Op(0, echo, new { message = "hello" })]);
        var request = await CreateRequestAsync(client, flow);
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("UPDATE flow_requests SET request_metadata = ('[{\"x\": ' || repeat('[', $2) || repeat(']', $2) || '}]')::jsonb WHERE id = $1", connection);
            command.Parameters.AddWithValue(Guid.Parse(request));
            command.Parameters.AddWithValue(JsonDepth.MaxRead);
            await command.ExecuteNonQueryAsync();
        }

        var run = await WaitForRunAsync(client, await CreateRunAsync(client, flow, request));

        Assert.Equal(RunStatus.Failed, Status(run));
        var result = (await (await client.GetAsync($"/api/v1/flow_runs/with_flow_result?id={run["id"]}")).ReadJsonAsync())["flow_result"]!;
        Assert.Contains($"request metadata nests deeper than {JsonDepth.MaxRead} levels", result["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, await factory.CountAsync("SELECT claim_attempts FROM flow_runs WHERE id = $1", Guid.Parse(run["id"]!.GetValue<string>())));
    }
}
