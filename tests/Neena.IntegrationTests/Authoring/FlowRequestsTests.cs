using System.Net;
using Microsoft.EntityFrameworkCore;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Authoring;

public sealed class FlowRequestsTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    [Theory]
    [InlineData("/api/v1/flow_requests/")]
    [InlineData("/flow_requests/")]
    public async Task Crud_SeedBodies_WorkOnBothSurfaces(string path)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);

        var created = await client.PostJsonAsync(path, new
        {
            request_instructions = "Process this request.",
            request_metadata = new[] { new { key = "value" } },
            request_name = "Sample Request",
            organization = tenant.OrganizationId,
        });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var body = await created.ReadJsonAsync();
        var id = body["id"]!.GetValue<string>();
        foreach (var key in new[] { "request_instructions", "id", "created_date", "modified_date", "created_by_email", "modified_by_email" })
            Assert.True(body.AsObject().ContainsKey(key), key);
        Assert.Equal(tenant.Email, body["created_by_email"]!.GetValue<string>());
        Assert.EndsWith("Z", body["created_date"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("value", body["request_metadata"]![0]!["key"]!.GetValue<string>());

        var updated = await client.PutAsync(path, JsonHelpers.RawJson($$"""{"id": "{{id}}", "request_instructions": "Updated instructions.", "request_metadata": [{"key": "new_value"}]}"""));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var updatedBody = await updated.ReadJsonAsync();
        Assert.Equal("Updated instructions.", updatedBody["request_instructions"]!.GetValue<string>());
        Assert.Equal("Sample Request", updatedBody["request_name"]!.GetValue<string>()); // omitted: kept
        Assert.Equal("new_value", updatedBody["request_metadata"]![0]!["key"]!.GetValue<string>());

        var read = await (await client.GetAsync($"{path}?id={id}")).ReadJsonAsync();
        Assert.Equal("Updated instructions.", read["request_instructions"]!.GetValue<string>());
        var all = await (await client.GetAsync(path + "all")).ReadJsonAsync();
        Assert.Single(all.AsArray());

        var deleted = await client.DeleteAsync($"{path}?id={id}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.NotNull((await deleted.ReadJsonAsync())["deleted_at"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"{path}?id={id}")).StatusCode);
        Assert.Empty((await (await client.GetAsync(path + "all")).ReadJsonAsync()).AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"{path}?id={id}")).StatusCode);
        await using var db = factory.CreateDbContext();
        Assert.True(await db.FlowRequests.IgnoreQueryFilters().AnyAsync(r => r.Id == Guid.Parse(id) && r.DeletedAt != null));
    }

    [Theory]
    [InlineData("""{"request_instructions": "short"}""", "body.request_instructions", "ensure this value has at least 8 characters")]
    [InlineData("""{}""", "body.request_instructions", "field required")]
    [InlineData("""{"request_instructions": 12345678}""", "body.request_instructions", "str type expected")]
    [InlineData("""{"request_instructions": "long enough", "request_metadata": {"a": 1}}""", "body.request_metadata", "value is not a valid list")]
    [InlineData("""{"request_instructions": "long enough", "request_metadata": [{"a": 1}, 2]}""", "body.request_metadata.1", "value is not a valid dict")]
    [InlineData("""{"request_instructions": "long enough", "flow": "not-a-uuid"}""", "body.flow", "value is not a valid uuid")]
    [InlineData("""{"request_instructions": "long enough", "flow": "00000000-0000-0000-0000-000000000001"}""", "body.flow", "flow not found")]
    public async Task Create_InvalidBody_Returns422(string json, string location, string message)
    {
        var tenant = await factory.CreateTenantAsync();

        var response = await factory.ClientWithBearer(tenant.ApiKey).PostAsync("/api/v1/flow_requests/", JsonHelpers.RawJson(json));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(message, await response.ErrorMessageAsync(location));
    }

    [Fact]
    public async Task Create_TooLongInstructionsAndName_Returns422ForBoth()
    {
        var tenant = await factory.CreateTenantAsync();

        var response = await factory.ClientWithBearer(tenant.ApiKey).PostJsonAsync("/api/v1/flow_requests/", new { request_instructions = new string('x', 513), request_name = new string('n', 65) });

        Assert.Equal(["body.request_instructions", "body.request_name"], await response.ErrorLocationsAsync());
    }

    [Fact]
    public async Task Create_AnotherOrganization_Returns403()
    {
        var tenant = await factory.CreateTenantAsync();
        var other = await factory.CreateTenantAsync();

        var response = await factory.ClientWithBearer(tenant.ApiKey).PostJsonAsync("/api/v1/flow_requests/", new { request_instructions = "Process this request.", organization = other.OrganizationId });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Endpoints_AnotherOrganizationsIds_Return404AndListsHideThem()
    {
        var a = await factory.CreateTenantAsync();
        var b = await factory.CreateTenantAsync();
        var flowOfA = await FlowsTests.CreateEchoFlowAsync(factory, factory.ClientWithBearer(a.ApiKey));
        var requestOfA = (await (await factory.ClientWithBearer(a.ApiKey).PostJsonAsync("/flow_requests/", new { request_instructions = "Process this request." })).ReadJsonAsync())["id"]!.GetValue<string>();
        var bClient = factory.ClientWithApiKeyHeader(b.ApiKey);

        Assert.Equal(HttpStatusCode.NotFound, (await bClient.GetAsync($"/flow_requests/?id={requestOfA}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bClient.DeleteAsync($"/flow_requests/?id={requestOfA}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bClient.PutAsync("/flow_requests/", JsonHelpers.RawJson($$"""{"id": "{{requestOfA}}", "request_name": "hijack"}"""))).StatusCode);
        Assert.Empty((await (await bClient.GetAsync("/flow_requests/all")).ReadJsonAsync()).AsArray());
        var withForeignFlow = await bClient.PostJsonAsync("/flow_requests/", new { request_instructions = "Process this request.", flow = flowOfA });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, withForeignFlow.StatusCode);
        Assert.Equal("flow not found", await withForeignFlow.ErrorMessageAsync("body.flow"));

        var stillThere = await (await factory.ClientWithBearer(a.ApiKey).GetAsync($"/flow_requests/?id={requestOfA}")).ReadJsonAsync();
        Assert.True(stillThere["request_name"] is null);
    }

    [Fact]
    public async Task List_Pagination_NewestFirstAndStable()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        for (var i = 0; i < 5; i++)
            await client.PostJsonAsync("/api/v1/flow_requests/", new { request_instructions = $"Request number {i}" });

        var first = await (await client.GetAsync("/api/v1/flow_requests/all?limit=2")).ReadJsonAsync();
        var second = await (await client.GetAsync("/api/v1/flow_requests/all?skip=2&limit=2")).ReadJsonAsync();
        var none = await (await client.GetAsync("/api/v1/flow_requests/all?limit=0")).ReadJsonAsync();

        Assert.Equal(["Request number 4", "Request number 3"], first.AsArray().Select(r => r!["request_instructions"]!.GetValue<string>()));
        Assert.Equal(["Request number 2", "Request number 1"], second.AsArray().Select(r => r!["request_instructions"]!.GetValue<string>()));
        Assert.Empty(none.AsArray());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.GetAsync("/api/v1/flow_requests/all?limit=1001")).StatusCode);
    }
}
