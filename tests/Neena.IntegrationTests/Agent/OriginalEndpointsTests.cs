using System.Net;
using System.Net.Http.Json;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Engine;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Agent.AgentTestSupport;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Agent;

/// <summary>Contract §11, last point: the original's endpoints, kept on both surfaces.</summary>
public sealed class OriginalEndpointsTests(EngineFactory factory) : IClassFixture<EngineFactory>
{
    private async Task<(HttpClient V1, HttpClient Legacy, TestTenant Tenant)> ClientsAsync()
    {
        var (client, tenant) = await ClientAsync(factory);
        return (client, factory.ClientWithApiKeyHeader(tenant.ApiKey), tenant);
    }

    [Theory]
    [InlineData("/api/v1", false)]
    [InlineData("", true)]
    public async Task ExecuteById_RunsTheFlowForItsNewestRequest(string prefix, bool legacy)
    {
        var (v1, root, _) = await ClientsAsync();
        var client = legacy ? root : v1;
        var firstRequest = await CreateFlowRequestAsync(v1, GreetingRequest, metadata: GreetingMetadata);
        var flowId = (await (await v1.PostAsync($"/api/v1/flows/generate?flow_request_id={firstRequest}", null)).ReadJsonAsync())["id"]!.GetValue<string>();
        var newest = await CreateRequestAsync(v1, flowId, GreetingRequest, metadata: new object[] { new { template = "Hi, {name}!", values = new { name = "Grace" } } });

        var response = await client.PostAsync($"{prefix}/flows/execute?id={flowId}", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var created = await response.ReadJsonAsync();
        Assert.Equal(flowId, created["flow"]!.GetValue<string>());
        Assert.Equal(newest, created["flow_request"]!.GetValue<string>());
        Assert.Equal(ApprovalStatus.Approved, created["approval_status"]!.GetValue<string>());
        var run = await WaitForRunAsync(v1, created["id"]!.GetValue<string>());
        Assert.Equal(RunStatus.Completed, Status(run));
        Assert.Equal("Hi, Grace!", TaskRun(run, 1)["result"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task ExecuteById_NoRequest_422_UnknownFlow_404_BothForms_422()
    {
        var (client, _, _) = await ClientsAsync();
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var lonely = await CreateFlowAsync(client, "no request", [new Op(0, echo, new { message = "hi" })]);

        var noRequest = await client.PostAsync($"/api/v1/flows/execute?id={lonely}", null);
        var unknown = await client.PostAsync($"/flows/execute?id={Guid.NewGuid()}", null);
        var both = await client.PostAsync($"/api/v1/flows/execute?id={lonely}&flow_id={lonely}&flow_request_id={Guid.NewGuid()}", null);
        var notUuid = await client.PostAsync("/api/v1/flows/execute?id=nope", null);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, noRequest.StatusCode);
        Assert.Contains("no flow request", await noRequest.ErrorMessageAsync("query.id"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("Flow not found", await unknown.DetailAsync());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, both.StatusCode);
        Assert.Contains("query.id", await both.ErrorLocationsAsync());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, notUuid.StatusCode);
        Assert.Contains("query.id", await notUuid.ErrorLocationsAsync());
    }

    [Theory]
    [InlineData("/api/v1", false)]
    [InlineData("", true)]
    public async Task GenerateFlowAndExecute_SavesLinksAndRunsApproved(string prefix, bool legacy)
    {
        var (v1, root, _) = await ClientsAsync();
        var requestId = await CreateFlowRequestAsync(v1, GreetingRequest, metadata: GreetingMetadata);

        var response = await (legacy ? root : v1).GetAsync($"{prefix}/flows/generate_flow_and_execute?flow_request_id={requestId}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var created = await response.ReadJsonAsync();
        Assert.Equal(requestId, created["flow_request"]!.GetValue<string>());
        Assert.Equal(ApprovalStatus.Approved, created["approval_status"]!.GetValue<string>());
        var request = await (await v1.GetAsync($"/api/v1/flow_requests/?id={requestId}")).ReadJsonAsync();
        Assert.Equal(created["flow"]!.GetValue<string>(), request["flow"]!.GetValue<string>());
        var run = await WaitForRunAsync(v1, created["id"]!.GetValue<string>());
        Assert.Equal(RunStatus.Completed, Status(run));
        Assert.Equal("Hello, Ada!", TaskRun(run, 1)["result"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task GenerateFlowAndExecute_NeedsWrite_UnknownRequest404_Missing422()
    {
        var (client, _, _) = await ClientsAsync();
        var requestId = await CreateFlowRequestAsync(client, GreetingRequest, metadata: GreetingMetadata);
        var readOnly = (await (await client.PostJsonAsync("/api/v1/api_keys/", new { name = "reader", permissions = new[] { "read" } })).ReadJsonAsync())["key"]!.GetValue<string>();

        var refused = await factory.ClientWithBearer(readOnly).GetAsync($"/api/v1/flows/generate_flow_and_execute?flow_request_id={requestId}");
        var unknown = await client.GetAsync($"/api/v1/flows/generate_flow_and_execute?flow_request_id={Guid.NewGuid()}");
        var missing = await client.GetAsync("/api/v1/flows/generate_flow_and_execute");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("Missing \"write\" permission", await refused.DetailAsync());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.StatusCode);
        Assert.Contains("query.flow_request_id", await missing.ErrorLocationsAsync());
        var request = await (await client.GetAsync($"/api/v1/flow_requests/?id={requestId}")).ReadJsonAsync();
        Assert.Null(request["flow"]); // the refused call saved nothing
    }

    [Theory]
    [InlineData("/api/v1", false)]
    [InlineData("", true)]
    public async Task Retrieve_AnswersTheMostSimilarDefinitionsWithScores(string prefix, bool legacy)
    {
        var (v1, root, _) = await ClientsAsync();
        var client = legacy ? root : v1;

        var three = await (await client.GetAsync($"{prefix}/task_definitions/retrieve?request=Compose%20a%20greeting%20text&k=3")).ReadJsonAsync();
        var byDefault = await client.GetAsync($"{prefix}/task_definitions/retrieve?request=Compose%20a%20greeting%20text");

        var items = three.AsArray();
        Assert.Equal(3, items.Count);
        var scores = items.Select(i => i!["similarity"]!.GetValue<double>()).ToList();
        Assert.Equal(scores.OrderByDescending(s => s), scores);
        Assert.Equal("Compose Text", items[0]!["task_name"]!.GetValue<string>());
        Assert.Equal(await factory.TaskDefinitionIdAsync("core", "Compose Text"), items[0]!["id"]!.GetValue<Guid>());
        Assert.NotNull(items[0]!["belongs_to_integration"]!["short_name"]);
        Assert.Equal(HttpStatusCode.OK, byDefault.StatusCode);
        Assert.Equal(5, (await byDefault.ReadJsonAsync()).AsArray().Count);
    }

    [Theory]
    [InlineData("?request=hello&k=0", "query.k")]
    [InlineData("?request=hello&k=51", "query.k")]
    [InlineData("?request=hello&k=x", "query.k")]
    [InlineData("?request=", "query.request")]
    [InlineData("?request=%20%20", "query.request")]
    [InlineData("?k=3", "query.request")]
    public async Task Retrieve_BadParameters_Answers422(string query, string location)
    {
        var (client, _, _) = await ClientsAsync();

        var response = await client.GetAsync("/api/v1/task_definitions/retrieve" + query);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(location, await response.ErrorLocationsAsync());
    }

    [Theory]
    [InlineData("/api/v1", false)]
    [InlineData("", true)]
    public async Task PutUser_ChangesFullName_AnsweredAsGetShowsIt(string prefix, bool legacy)
    {
        var (v1, root, tenant) = await ClientsAsync();
        var client = legacy ? root : v1;

        var response = await client.PutAsJsonAsync($"{prefix}/users/", new { full_name = "Ada Lovelace" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answered = await response.ReadJsonAsync();
        var shown = await (await client.GetAsync($"{prefix}/users/")).ReadJsonAsync();
        Assert.Equal("Ada Lovelace", shown["full_name"]!.GetValue<string>());
        Assert.Equal(shown.ToJsonString(), answered.ToJsonString());
        Assert.Equal(tenant.Email, answered["email"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{}", "body.full_name")]
    [InlineData("""{"full_name": null}""", "body.full_name")]
    [InlineData("""{"full_name": 5}""", "body.full_name")]
    [InlineData("""{"full_name": "a\u0000b"}""", "body.full_name")]
    public async Task PutUser_BadName_Answers422(string body, string location)
    {
        var (client, _, _) = await ClientsAsync();

        var response = await client.PutAsync("/api/v1/users/", JsonHelpers.RawJson(body));
        var tooLong = await client.PutAsJsonAsync("/api/v1/users/", new { full_name = new string('x', 201) });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(location, await response.ErrorLocationsAsync());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooLong.StatusCode);
        Assert.Equal("Test User", (await (await client.GetAsync("/api/v1/users/")).ReadJsonAsync())["full_name"]!.GetValue<string>());
    }
}
