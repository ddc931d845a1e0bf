using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Triggers.TriggerTestSupport;

namespace Neena.IntegrationTests.Triggers;

/// <summary>Flow results by platform entity and the list of results; runs and results are written as the engine leaves them.</summary>
public sealed class FlowResultsTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private static readonly string[] ResponseKeys =
    [
        "body", "trigger_run_id", "integration_entity_id", "flow_run_id", "organization_id", "id", "created_date", "modified_date",
        "created_by_email", "modified_by_email", "deleted_at",
    ];

    public static TheoryData<string> BothSurfaces => Surfaces;

    private static List<string> Ids(JsonNode list) => list.AsArray().Select(r => r!["id"]!.GetValue<string>()).ToList();

    /// <summary>Makes <paramref name="resultId"/> the newest (or oldest) by its time, whatever order the rows were written in.</summary>
    private async Task SetCreatedAsync(Guid resultId, DateTime created)
    {
        await using var db = factory.CreateDbContext();
        await db.FlowResults.IgnoreQueryFilters().Where(r => r.Id == resultId).ExecuteUpdateAsync(s => s.SetProperty(r => r.CreatedDate, created));
    }

    [Theory]
    [MemberData(nameof(BothSurfaces))]
    public async Task Find_SeveralResultsForTheEntity_AnswersTheNewest(string surface)
    {
        var tenant = await factory.CreateTenantAsync();
        var flow = await CreateFlowAsync(factory, tenant);
        var trello = await factory.IntegrationIdAsync("trello");
        var slack = await factory.IntegrationIdAsync("slack");
        var operation = await CreateGenericOperationAsync(factory, tenant);
        var trigger = await InsertTriggerRunAsync(factory, tenant, operation, entityId: "card-42");
        var (_, older) = await InsertFinishedRunAsync(factory, tenant, flow, "card-42", trello, """{"n": 1}""");
        var (newestRun, newest) = await InsertFinishedRunAsync(factory, tenant, flow, "card-42", trello, """{"n": 2}""", trigger.Id);
        var (_, later) = await InsertFinishedRunAsync(factory, tenant, flow, "card-42", trello, """{"n": 3}""");
        var (_, slackNewer) = await InsertFinishedRunAsync(factory, tenant, flow, "card-42", slack, """{"n": 4}""");
        var (_, otherCard) = await InsertFinishedRunAsync(factory, tenant, flow, "card-43", trello, """{"n": 5}""");
        var now = DateTime.UtcNow;
        // The newest by time was written second: neither insertion order nor id decides.
        await SetCreatedAsync(older, now.AddMinutes(-10));
        await SetCreatedAsync(newest, now.AddMinutes(5));
        await SetCreatedAsync(later, now.AddMinutes(-5));
        await SetCreatedAsync(slackNewer, now.AddMinutes(10));
        await SetCreatedAsync(otherCard, now.AddMinutes(20));

        var response = await factory.Client(tenant, surface).GetAsync($"{surface}/flow_results/?integration_entity_id=card-42&integration_short_name=trello");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal(ResponseKeys, body.AsObject().Select(p => p.Key));
        Assert.Equal(newest.ToString(), body["id"]!.GetValue<string>());
        Assert.Equal("""{"n": 2}""", body["body"]!.GetValue<string>());
        Assert.Equal("card-42", body["integration_entity_id"]!.GetValue<string>());
        Assert.Equal(newestRun.ToString(), body["flow_run_id"]!.GetValue<string>());
        Assert.Equal(trigger.Id.ToString(), body["trigger_run_id"]!.GetValue<string>());
        Assert.Equal(tenant.OrganizationId.ToString(), body["organization_id"]!.GetValue<string>());
        Assert.Null(body["deleted_at"]);
        var fromSlack = await (await factory.Client(tenant, surface).GetAsync($"{surface}/flow_results/?integration_entity_id=card-42&integration_short_name=slack")).ReadJsonAsync();
        Assert.Equal(slackNewer.ToString(), fromSlack["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Find_NewestResultDeleted_AnswersTheOneBefore()
    {
        var tenant = await factory.CreateTenantAsync();
        var flow = await CreateFlowAsync(factory, tenant);
        var trello = await factory.IntegrationIdAsync("trello");
        var (_, first) = await InsertFinishedRunAsync(factory, tenant, flow, "card-7", trello);
        var (_, second) = await InsertFinishedRunAsync(factory, tenant, flow, "card-7", trello);
        await using (var db = factory.CreateDbContext())
            await db.FlowResults.IgnoreQueryFilters().Where(r => r.Id == second).ExecuteUpdateAsync(s => s.SetProperty(r => r.DeletedAt, DateTime.UtcNow));

        var body = await (await factory.ClientWithBearer(tenant.ApiKey).GetAsync("/api/v1/flow_results/?integration_entity_id=card-7&integration_short_name=trello")).ReadJsonAsync();

        Assert.Equal(first.ToString(), body["id"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("integration_entity_id=card-404&integration_short_name=trello")]
    [InlineData("integration_entity_id=card-1&integration_short_name=slack")]
    [InlineData("integration_entity_id=card-1&integration_short_name=jira")]
    [InlineData("integration_entity_id=CARD-1&integration_short_name=trello")]
    public async Task Find_NoSuchResult_Returns404Detail(string query)
    {
        var tenant = await factory.CreateTenantAsync();
        var flow = await CreateFlowAsync(factory, tenant);
        await InsertFinishedRunAsync(factory, tenant, flow, "card-1", await factory.IntegrationIdAsync("trello"));
        await InsertFinishedRunAsync(factory, tenant, flow, null, null);

        var response = await factory.ClientWithBearer(tenant.ApiKey).GetAsync($"/api/v1/flow_results/?{query}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(["detail"], (await response.ReadJsonAsync()).AsObject().Select(p => p.Key));
        Assert.Equal("Flow result not found", await response.DetailAsync());
    }

    [Theory]
    [InlineData("", new[] { "query.integration_entity_id", "query.integration_short_name" })]
    [InlineData("?integration_entity_id=card-1", new[] { "query.integration_short_name" })]
    [InlineData("?integration_short_name=trello", new[] { "query.integration_entity_id" })]
    [InlineData("?integration_entity_id=&integration_short_name=trello", new[] { "query.integration_entity_id" })]
    [InlineData("?integration_entity_id=a%00b&integration_short_name=trello", new[] { "query.integration_entity_id" })]
    [InlineData("?integration_entity_id=card-1&integration_short_name=tre%00llo", new[] { "query.integration_short_name" })]
    public async Task Find_MissingOrInvalidParameters_Returns422AtEach(string query, string[] locations)
    {
        var tenant = await factory.CreateTenantAsync();

        var response = await factory.ClientWithApiKeyHeader(tenant.ApiKey).GetAsync($"/flow_results/{query}");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(locations, await response.ErrorLocationsAsync());
    }

    [Fact]
    public async Task Find_EntityIdLongerThanStored_Returns422()
    {
        var tenant = await factory.CreateTenantAsync();

        var response = await factory.ClientWithBearer(tenant.ApiKey).GetAsync($"/api/v1/flow_results/?integration_entity_id={new string('x', 256)}&integration_short_name=trello");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("ensure this value has at most 255 characters", await response.ErrorMessageAsync("query.integration_entity_id"));
    }

    [Theory]
    [MemberData(nameof(BothSurfaces))]
    public async Task Endpoints_AnotherOrganizationsResults_Return404AndListsHideThem(string surface)
    {
        var owner = await factory.CreateTenantAsync();
        var stranger = await factory.CreateTenantAsync();
        var flow = await CreateFlowAsync(factory, owner);
        var (run, _) = await InsertFinishedRunAsync(factory, owner, flow, "card-secret", await factory.IntegrationIdAsync("trello"));
        var client = factory.Client(stranger, surface);

        var find = await client.GetAsync($"{surface}/flow_results/?integration_entity_id=card-secret&integration_short_name=trello");
        var byRun = await client.GetAsync($"{surface}/flow_results/all?flow_run_id={run}");
        var byUnknownRun = await client.GetAsync($"{surface}/flow_results/all?flow_run_id={Guid.NewGuid()}");
        var byEntity = await (await client.GetAsync($"{surface}/flow_results/all?integration_entity_id=card-secret")).ReadJsonAsync();
        var all = await (await client.GetAsync($"{surface}/flow_results/all")).ReadJsonAsync();

        Assert.Equal(HttpStatusCode.NotFound, find.StatusCode);
        Assert.Equal("Flow result not found", await find.DetailAsync());
        Assert.Equal(HttpStatusCode.NotFound, byRun.StatusCode);
        Assert.Equal(await byUnknownRun.Content.ReadAsStringAsync(), await byRun.Content.ReadAsStringAsync());
        Assert.Empty(byEntity.AsArray());
        Assert.Empty(all.AsArray());
    }

    [Theory]
    [MemberData(nameof(BothSurfaces))]
    public async Task List_NewestFirst_FiltersAndPaging(string surface)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.Client(tenant, surface);
        var flow = await CreateFlowAsync(factory, tenant);
        var trello = await factory.IntegrationIdAsync("trello");
        var slack = await factory.IntegrationIdAsync("slack");
        var (_, manual) = await InsertFinishedRunAsync(factory, tenant, flow, null, null);
        var (cardRun, card) = await InsertFinishedRunAsync(factory, tenant, flow, "c1", trello);
        var (_, cardAgain) = await InsertFinishedRunAsync(factory, tenant, flow, "c1", trello);
        var (_, message) = await InsertFinishedRunAsync(factory, tenant, flow, "c1", slack);
        var (_, otherCard) = await InsertFinishedRunAsync(factory, tenant, flow, "c2", trello);

        var all = await (await client.GetAsync($"{surface}/flow_results/all")).ReadJsonAsync();
        var page = await (await client.GetAsync($"{surface}/flow_results/all?skip=1&limit=2")).ReadJsonAsync();
        var byRun = await (await client.GetAsync($"{surface}/flow_results/all?flow_run_id={cardRun}")).ReadJsonAsync();
        var byTrello = await (await client.GetAsync($"{surface}/flow_results/all?integration_short_name=trello")).ReadJsonAsync();
        var byEntity = await (await client.GetAsync($"{surface}/flow_results/all?integration_entity_id=c1")).ReadJsonAsync();
        var byBoth = await (await client.GetAsync($"{surface}/flow_results/all?integration_entity_id=c1&integration_short_name=trello&limit=1")).ReadJsonAsync();
        var byUnknownIntegration = await (await client.GetAsync($"{surface}/flow_results/all?integration_short_name=jira")).ReadJsonAsync();

        Assert.Equal([otherCard, message, cardAgain, card, manual], Ids(all).Select(Guid.Parse));
        Assert.Equal([message, cardAgain], Ids(page).Select(Guid.Parse));
        Assert.Equal([card], Ids(byRun).Select(Guid.Parse));
        Assert.Equal([otherCard, cardAgain, card], Ids(byTrello).Select(Guid.Parse));
        Assert.Equal([message, cardAgain, card], Ids(byEntity).Select(Guid.Parse));
        Assert.Equal([cardAgain], Ids(byBoth).Select(Guid.Parse));
        Assert.Empty(byUnknownIntegration.AsArray());
        Assert.All(all.AsArray(), r => Assert.Equal(ResponseKeys, r!.AsObject().Select(p => p.Key)));
    }

    [Theory]
    [InlineData("flow_run_id=nope", "query.flow_run_id", "value is not a valid uuid")]
    [InlineData("integration_entity_id=a%00", "query.integration_entity_id", "string contains a NUL character")]
    [InlineData("integration_short_name=%00", "query.integration_short_name", "string contains a NUL character")]
    [InlineData("limit=-1", "query.limit", "ensure this value is between 0 and 1000")]
    public async Task List_InvalidFilter_Returns422AtTheParameter(string query, string location, string message)
    {
        var tenant = await factory.CreateTenantAsync();

        var response = await factory.ClientWithBearer(tenant.ApiKey).GetAsync($"/api/v1/flow_results/all?{query}");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(message, await response.ErrorMessageAsync(location));
    }

    [Fact]
    public async Task ReadOnlyKey_ReadsFlowResults()
    {
        var tenant = await factory.CreateTenantAsync();
        var flow = await CreateFlowAsync(factory, tenant);
        await InsertFinishedRunAsync(factory, tenant, flow, "card-r", await factory.IntegrationIdAsync("trello"));
        var readKey = (await factory.ClientWithBearer(tenant.ApiKey).PostOkAsync("/api/v1/api_keys/", new { name = "reader", permissions = new[] { "read" } }))["key"]!.GetValue<string>();

        var find = await factory.ClientWithApiKeyHeader(readKey).GetAsync("/flow_results/?integration_entity_id=card-r&integration_short_name=trello");
        var list = await factory.ClientWithBearer(readKey).GetAsync("/api/v1/flow_results/all");

        Assert.Equal(HttpStatusCode.OK, find.StatusCode);
        Assert.Single((await list.ReadJsonAsync()).AsArray());
    }
}
