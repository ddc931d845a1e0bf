using System.Net;
using System.Text.Json.Nodes;
using Neena.IntegrationTests.Engine;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Agent.AgentTestSupport;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Agent;

/// <summary>
/// Contract §6 as amended 2026-12-06: <c>GET /flows/generate?flow_request_id=</c> saves the flow and links it to the request,
/// as the original did; <c>dry_run=true</c> and <c>request=</c> save nothing. And §4: <c>created_by_human</c> on flows.
/// </summary>
public sealed class GenerateSavesTests(EngineFactory factory) : IClassFixture<EngineFactory>
{
    private static async Task<JsonArray> FlowsAsync(HttpClient client) => (await (await client.GetAsync("/api/v1/flows/all")).ReadJsonAsync()).AsArray();

    private static async Task<JsonNode?> RequestFlowAsync(HttpClient client, string requestId) =>
        (await (await client.GetAsync($"/api/v1/flow_requests/?id={requestId}")).ReadJsonAsync())["flow"];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Get_WithFlowRequest_SavesLinksAndAnswersTheSavedFlow_OnBothSurfaces(bool legacy)
    {
        var (v1, tenant) = await ClientAsync(factory);
        var client = legacy ? factory.ClientWithApiKeyHeader(tenant.ApiKey) : v1;
        var requestId = await CreateFlowRequestAsync(v1, GreetingRequest, metadata: GreetingMetadata);

        var response = await client.GetAsync($"{(legacy ? "" : "/api/v1")}/flows/generate?flow_request_id={requestId}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var generated = await response.ReadJsonAsync();
        var id = generated["id"]!.GetValue<string>();
        Assert.False(generated["created_by_human"]!.GetValue<bool>());
        Assert.False(string.IsNullOrEmpty(generated["explanation"]!.GetValue<string>()));
        Assert.True(generated["usage"]!["total_tokens"]!.GetValue<long>() >= 0);
        Assert.Equal(tenant.OrganizationId.ToString(), generated["organization"]!.GetValue<string>());
        Assert.All(generated["task_operations"]!.AsArray(), o =>
        {
            Assert.Equal(id, o!["flow"]!.GetValue<string>());
            Assert.NotNull(o["id"]);
            Assert.NotNull(o["sorted_index"]);
        });
        Assert.All(generated["dependencies"]!.AsArray(), d => Assert.NotNull(d!["id"]));
        // Stored as answered, and the request now names it.
        var stored = await (await v1.GetAsync($"/api/v1/flows/?id={id}")).ReadJsonAsync();
        Assert.Equal(
            generated["task_operations"]!.AsArray().Select(o => (o!["id"]!.GetValue<string>(), o["sorted_index"]!.GetValue<int>())),
            stored["task_operations"]!.AsArray().Select(o => (o!["id"]!.GetValue<string>(), o["sorted_index"]!.GetValue<int>())));
        Assert.False(stored["created_by_human"]!.GetValue<bool>());
        Assert.Equal(id, (await RequestFlowAsync(v1, requestId))!.GetValue<string>());
    }

    /// <summary>
    /// A bare text carries no metadata: without a model only a task that needs no input plans runnably (§6), such as Slack's
    /// List Channels once the organization has a Slack credential (<see cref="AddSlackCredentialAsync"/>).
    /// </summary>
    private const string TextRequest = "List the channels of the Slack workspace";

    private static async Task AddSlackCredentialAsync(HttpClient client)
    {
        var response = await client.PostJsonAsync("/api/v1/integration_credentials/", new
        {
            integration_short_name = "slack",
            name = "workspace",
            credentials = new { bot_token = "xoxb-planning-only", signing_secret = "planning-only" },
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Get_DryRunOrRequestText_SavesNothing_AndTheDryRunPostedAsIsCreatesAHumanFlow()
    {
        var (client, _) = await ClientAsync(factory);
        await AddSlackCredentialAsync(client);
        var requestId = await CreateFlowRequestAsync(client, GreetingRequest, metadata: GreetingMetadata);

        var dryRun = await client.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}&dry_run=true");
        var byText = await client.GetAsync($"/flows/generate?request={Uri.EscapeDataString(TextRequest)}&dry_run=false");

        Assert.Equal(HttpStatusCode.OK, dryRun.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byText.StatusCode);
        var plan = await dryRun.ReadJsonAsync();
        Assert.Null(plan["id"]);
        Assert.Null(plan["created_by_human"]);
        Assert.All(plan["task_operations"]!.AsArray(), o => Assert.Null(o!["id"]));
        Assert.Null((await byText.ReadJsonAsync())["id"]);
        Assert.Empty(await FlowsAsync(client));
        Assert.Null(await RequestFlowAsync(client, requestId));

        var created = await client.PostAsync("/api/v1/flows/", JsonHelpers.RawJson(plan.ToJsonString()));

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.True((await created.ReadJsonAsync())["created_by_human"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Get_ReadOnlyKey_SavingIsRefused403_DryRunAndTextAreAllowed()
    {
        var (client, _) = await ClientAsync(factory);
        await AddSlackCredentialAsync(client);
        var requestId = await CreateFlowRequestAsync(client, GreetingRequest, metadata: GreetingMetadata);
        var readOnly = (await (await client.PostJsonAsync("/api/v1/api_keys/", new { name = "reader", permissions = new[] { "read" } })).ReadJsonAsync())["key"]!.GetValue<string>();
        var reader = factory.ClientWithBearer(readOnly);

        var save = await reader.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}");
        var dryRun = await reader.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}&dry_run=true");
        var byText = await reader.GetAsync($"/api/v1/flows/generate?request={Uri.EscapeDataString(TextRequest)}");

        Assert.Equal(HttpStatusCode.Forbidden, save.StatusCode);
        Assert.Equal("Missing \"write\" permission", await save.DetailAsync());
        Assert.Equal(HttpStatusCode.OK, dryRun.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byText.StatusCode);
        Assert.Empty(await FlowsAsync(client));
        Assert.Null(await RequestFlowAsync(client, requestId));
    }

    [Fact]
    public async Task Get_RepeatedWithOneIdempotencyKey_SavesOnce()
    {
        var (client, _) = await ClientAsync(factory);
        var requestId = await CreateFlowRequestAsync(client, GreetingRequest, metadata: GreetingMetadata);

        async Task<HttpResponseMessage> GenerateAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/flows/generate?flow_request_id={requestId}");
            request.Headers.Add("Idempotency-Key", "editor-generate-1");
            return await client.SendAsync(request);
        }
        var first = await GenerateAsync();
        var second = await GenerateAsync();

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((await first.ReadJsonAsync())["id"]!.GetValue<string>(), (await second.ReadJsonAsync())["id"]!.GetValue<string>());
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Single(await FlowsAsync(client));
    }

    [Fact]
    public async Task CreatedByHuman_TrueThroughPostFlows_FalseWhenGenerated_AndPutKeepsEither()
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var drawn = await CreateFlowAsync(client, "drawn", [new Op(0, echo, new { message = "hi" })]);
        var requestId = await CreateFlowRequestAsync(client, GreetingRequest, metadata: GreetingMetadata);
        var posted = (await (await client.PostAsync($"/api/v1/flows/generate?flow_request_id={requestId}", null)).ReadJsonAsync())["id"]!.GetValue<string>();
        var executed = await (await client.GetAsync($"/flows/generate_flow_and_execute?flow_request_id={requestId}")).ReadJsonAsync();

        async Task<bool> HumanAsync(string id) => (await (await client.GetAsync($"/flows/?id={id}")).ReadJsonAsync())["created_by_human"]!.GetValue<bool>();
        async Task<HttpResponseMessage> ReplaceAsync(string id) => await client.PutAsync("/api/v1/flows/", JsonHelpers.RawJson(
            new JsonObject
            {
                ["id"] = id,
                ["name"] = "edited",
                ["created_by_human"] = !await HumanAsync(id),
                ["task_operations"] = new JsonArray(
                new JsonObject { ["name"] = "Echo", ["task_definition"] = echo.ToString(), ["index"] = 0, ["parameters"] = new JsonObject { ["message"] = "edited" } })
            }.ToJsonString()));

        Assert.True(await HumanAsync(drawn));
        Assert.False(await HumanAsync(posted));
        Assert.False(await HumanAsync(executed["flow"]!.GetValue<string>()));
        // A replacement keeps the flag whatever the body says: an edited plan is still the planner's flow, as the original kept it.
        Assert.True((await (await ReplaceAsync(drawn)).ReadJsonAsync())["created_by_human"]!.GetValue<bool>());
        Assert.False((await (await ReplaceAsync(posted)).ReadJsonAsync())["created_by_human"]!.GetValue<bool>());
        Assert.Equal(
            new Dictionary<string, bool> { [drawn] = true, [posted] = false, [executed["flow"]!.GetValue<string>()] = false },
            (await FlowsAsync(client)).ToDictionary(f => f!["id"]!.GetValue<string>(), f => f!["created_by_human"]!.GetValue<bool>()));
    }
}
