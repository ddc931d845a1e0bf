using System.Net;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Engine;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Agent.AgentTestSupport;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Agent;

/// <summary>Flow generation with no configuration at all: the data-flow planner over the real catalogue and embeddings.</summary>
public sealed class GenerationWithoutModelTests(EngineFactory factory) : IClassFixture<EngineFactory>
{
    [Fact]
    public async Task Generate_GreetingRequest_PicksComposeTextThenEchoWiredByDataFlow()
    {
        var (client, _) = await ClientAsync(factory);
        var requestId = await CreateFlowRequestAsync(client, GreetingRequest, name: "Ada", metadata: GreetingMetadata);

        var flow = await GenerateAsync(client, requestId);

        Assert.Equal("data_flow", flow["planner"]!.GetValue<string>());
        Assert.Null(flow["model"]);
        Assert.Equal(2, flow["task_operations"]!.AsArray().Count);
        Assert.Equal("Compose Text", Operation(flow, 0)["name"]!.GetValue<string>());
        Assert.Equal(await factory.TaskDefinitionIdAsync("core", "Compose Text"), Operation(flow, 0)["task_definition"]!.GetValue<Guid>());
        Assert.Equal("Echo", Operation(flow, 1)["name"]!.GetValue<string>());
        Assert.Equal(await factory.TaskDefinitionIdAsync("core", "Echo"), Operation(flow, 1)["task_definition"]!.GetValue<Guid>());
        Assert.Equal([(0, 1)], Dependencies(flow));
        Assert.Equal("{{tasks.0.result.text}}", Operation(flow, 1)["parameters"]!["message"]!.GetValue<string>());
        Assert.Contains("Echo runs after Compose Text", flow["explanation"]!.GetValue<string>());
        Assert.Equal(0, flow["usage"]!["total_tokens"]!.GetValue<long>());
        Assert.NotEmpty(flow["candidates"]!.AsArray());
    }

    /// <summary>
    /// With Slack and Trello credentials their tasks are candidates too, and their descriptions (which talk of messages
    /// and comments) must not pull them into a plan for a greeting: none scores within the planner's relative cutoff.
    /// </summary>
    [Fact]
    public async Task Generate_GreetingRequestWithSlackAndTrelloCredentials_StillPicksOnlyComposeTextThenEcho()
    {
        var (client, _) = await ClientAsync(factory);
        foreach (var (integration, fields) in new[]
        {
            ("slack", new Dictionary<string, string> { ["bot_token"] = "xoxb-1-2-3", ["signing_secret"] = "s0123456789" }),
            ("trello", new Dictionary<string, string> { ["api_key"] = "k0123456789", ["token"] = "t0123456789", ["app_secret"] = "s0123456789" }),
        })
        {
            var stored = await client.PostJsonAsync("/api/v1/integration_credentials/", new { integration_short_name = integration, name = integration, credentials = fields });
            Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        }
        var requestId = await CreateFlowRequestAsync(client, GreetingRequest, name: "Ada", metadata: GreetingMetadata);

        var flow = await GenerateAsync(client, requestId);

        var candidates = flow["candidates"]!.AsArray().Select(c => c!["integration"]!.GetValue<string>()).ToList();
        Assert.Contains("Slack", candidates);
        Assert.Contains("Trello", candidates);
        Assert.Equal(["Compose Text", "Echo"], flow["task_operations"]!.AsArray().Select(o => o!["name"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("/api/v1/flows/generate", "/api/v1/flows/")]
    [InlineData("/flows/generate/", "/flows")]
    public async Task Generate_ThenPostAsIs_CreatesTheFlowOnBothSurfaces(string generatePath, string flowsPath)
    {
        var (client, _) = await ClientAsync(factory);
        var requestId = await CreateFlowRequestAsync(client, GreetingRequest, metadata: GreetingMetadata);
        var generated = await client.GetAsync($"{generatePath}?flow_request_id={requestId}&dry_run=true");
        Assert.Equal(HttpStatusCode.OK, generated.StatusCode);
        var body = await generated.Content.ReadAsStringAsync();

        var created = await client.PostAsync(flowsPath, JsonHelpers.RawJson(body));

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var flow = await created.ReadJsonAsync();
        Assert.Equal("{{request.metadata.template}}", flow["task_operations"]![0]!["parameters"]!["template"]!.GetValue<string>());
        Assert.Single(flow["dependencies"]!.AsArray());
    }

    [Fact]
    public async Task Generate_NothingInTheCatalogueFits_Answers422SayingSo()
    {
        var (client, _) = await ClientAsync(factory);
        var requestId = await CreateFlowRequestAsync(client, "Book a flight to Paris for next Tuesday");

        var response = await client.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.StartsWith("nothing in the catalogue fits the request", await response.ErrorMessageAsync("query.flow_request_id"));
    }

    [Theory]
    [InlineData("", "query.flow_request_id", "field required")]
    [InlineData("?flow_request_id=nope", "query.flow_request_id", "value is not a valid uuid")]
    [InlineData("?request=short", "query.request", "ensure this value has at least 8 characters")]
    [InlineData("?request=%20%20%20%20%20%20%20%20%20", "query.flow_request_id", "field required")]
    [InlineData("?request=hello%00world%20again", "query.request", "string contains a NUL character")]
    [InlineData("?request=Send%20a%20greeting&flow_request_id=0195c7a4-0000-7000-8000-000000000000", "query.request", "give either flow_request_id or request, not both")]
    public async Task Generate_BadParameters_Answers422AtTheirLocation(string query, string location, string message)
    {
        var (client, _) = await ClientAsync(factory);

        var response = await client.GetAsync("/api/v1/flows/generate" + query);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(message, await response.ErrorMessageAsync(location));
    }

    [Fact]
    public async Task Generate_AnotherOrganizationsRequest_Answers404LikeAMissingOne()
    {
        var (owner, _) = await ClientAsync(factory);
        var (stranger, _) = await ClientAsync(factory);
        var requestId = await CreateFlowRequestAsync(owner, GreetingRequest);

        var foreign = await stranger.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}");
        var missing = await stranger.GetAsync($"/api/v1/flows/generate?flow_request_id={Guid.NewGuid()}");
        var save = await stranger.PostAsync($"/api/v1/flows/generate?flow_request_id={requestId}", null);

        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal("Flow request not found", await foreign.DetailAsync());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, save.StatusCode);
    }

    [Fact]
    public async Task GenerateAndSave_Request_CreatesTheFlowAndLinksTheRequest()
    {
        var (client, _) = await ClientAsync(factory);
        var requestId = await CreateFlowRequestAsync(client, GreetingRequest, metadata: GreetingMetadata);

        var response = await client.PostAsync($"/api/v1/flows/generate?flow_request_id={requestId}", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var saved = await response.ReadJsonAsync();
        var flowId = saved["id"]!.GetValue<string>();
        Assert.Equal(2, saved["task_operations"]!.AsArray().Count);
        Assert.False(string.IsNullOrEmpty(saved["explanation"]!.GetValue<string>()));
        var request = await (await client.GetAsync($"/api/v1/flow_requests/?id={requestId}")).ReadJsonAsync();
        Assert.Equal(flowId, request["flow"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/flows/?id={flowId}")).StatusCode);
    }

    [Fact]
    public async Task Execute_GeneratedFlow_RunStartsApprovedAndCompletes()
    {
        var (client, _) = await ClientAsync(factory);
        var requestId = await CreateFlowRequestAsync(client, GreetingRequest, metadata: GreetingMetadata);
        var flowId = (await (await client.PostAsync($"/api/v1/flows/generate?flow_request_id={requestId}", null)).ReadJsonAsync())["id"]!.GetValue<string>();

        var response = await client.PostAsync($"/api/v1/flows/execute?flow_id={flowId}&flow_request_id={requestId}", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var created = await response.ReadJsonAsync();
        Assert.Equal(ApprovalStatus.Approved, created["approval_status"]!.GetValue<string>());
        var run = await WaitForRunAsync(client, created["id"]!.GetValue<string>());
        Assert.Equal(RunStatus.Completed, Status(run));
        Assert.Equal("Hello, Ada!", TaskRun(run, 0)["result"]!["text"]!.GetValue<string>());
        Assert.Equal("Hello, Ada!", TaskRun(run, 1)["result"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Execute_OnTheLegacySurface_CreatesTheRun()
    {
        var (client, tenant) = await ClientAsync(factory);
        var legacy = factory.ClientWithApiKeyHeader(tenant.ApiKey);
        var requestId = await CreateFlowRequestAsync(client, GreetingRequest, metadata: GreetingMetadata);
        var flowId = (await (await client.PostAsync($"/api/v1/flows/generate?flow_request_id={requestId}", null)).ReadJsonAsync())["id"]!.GetValue<string>();

        var response = await legacy.PostAsync($"/flows/execute?flow_id={flowId}&flow_request_id={requestId}", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(flowId, (await response.ReadJsonAsync())["flow"]!.GetValue<string>());
    }

    [Fact]
    public async Task Execute_UnknownOrForeignIds_Answer404()
    {
        var (owner, _) = await ClientAsync(factory);
        var (stranger, _) = await ClientAsync(factory);
        var requestId = await CreateFlowRequestAsync(owner, GreetingRequest, metadata: GreetingMetadata);
        var flowId = (await (await owner.PostAsync($"/api/v1/flows/generate?flow_request_id={requestId}", null)).ReadJsonAsync())["id"]!.GetValue<string>();
        var ownRequest = await CreateFlowRequestAsync(stranger, GreetingRequest);

        var foreignFlow = await stranger.PostAsync($"/api/v1/flows/execute?flow_id={flowId}&flow_request_id={ownRequest}", null);
        var unknownRequest = await owner.PostAsync($"/api/v1/flows/execute?flow_id={flowId}&flow_request_id={Guid.NewGuid()}", null);

        Assert.Equal(HttpStatusCode.NotFound, foreignFlow.StatusCode);
        Assert.Equal("Flow not found", await foreignFlow.DetailAsync());
        Assert.Equal(HttpStatusCode.NotFound, unknownRequest.StatusCode);
        Assert.Equal("Flow request not found", await unknownRequest.DetailAsync());
    }

    [Theory]
    [InlineData("", "query.flow_id")]
    [InlineData("?flow_id=x&flow_request_id=0195c7a4-0000-7000-8000-000000000000", "query.flow_id")]
    [InlineData("?flow_id=0195c7a4-0000-7000-8000-000000000000", "query.flow_request_id")]
    public async Task Execute_BadParameters_Answers422(string query, string location)
    {
        var (client, _) = await ClientAsync(factory);

        var response = await client.PostAsync("/api/v1/flows/execute" + query, null);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(location, await response.ErrorLocationsAsync());
    }
}
