using System.Net;
using System.Net.Http.Json;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Platform;

/// <summary>Issue 18: a wrong method on a fixed route beside a path alias, and instants outside UTC's range.</summary>
public sealed class RoutingAndDatesTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    [Theory]
    [InlineData("GET", "/api/v1/flow_runs/approve?flow_run_id=6f1c9b7e-4c1e-4d59-9a8b-0f2f7d7c9e10", "PUT")]
    [InlineData("GET", "/flow_runs/reject/?flow_run_id=6f1c9b7e-4c1e-4d59-9a8b-0f2f7d7c9e10", "PUT")]
    [InlineData("GET", "/api/v1/flow_runs/cancel", "PUT")]
    [InlineData("GET", "/flow_runs/retry", "PUT")]
    [InlineData("DELETE", "/api/v1/flow_runs/approve", "PUT")]
    public async Task WrongMethod_OnAFixedRouteBesideThePathAlias_Is405WithAllow(string method, string path, string allowed)
    {
        var tenant = await factory.CreateTenantAsync();
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Add("api_key", tenant.ApiKey);

        var response = await factory.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains(allowed, response.Content.Headers.Allow);
        Assert.Equal("Method Not Allowed", await response.DetailAsync());
    }

    [Fact]
    public async Task PathAlias_StillServesIdsAndRefusesNonUuids()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("api_key", tenant.ApiKey);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/flow_runs/{Guid.NewGuid()}")).StatusCode);
        var notUuid = await client.GetAsync("/flow_runs/approvez");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, notUuid.StatusCode);
        Assert.Equal(["path.id"], await notUuid.ErrorLocationsAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/flow_runs/all")).StatusCode);
    }

    [Theory]
    [InlineData("/api/v1/flow_runs/all?start_date=0001-01-01T00:00:00%2B01:00", "query.start_date")]
    [InlineData("/flow_runs/preview/all?end_date=9999-12-31T23:30:00-01:00", "query.end_date")]
    [InlineData("/api/v1/analytics/org/{org}/flows/{flow}?start_date=0001-01-01T00:59:59%2B01:00", "query.start_date")]
    [InlineData("/analytics/org/{org}/summary?end_date=0001-01-01T00:00:00%2B14:00", "query.end_date")]
    public async Task QueryInstant_NotRepresentableInUtc_Is422AtItsLocation(string path, string location)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("api_key", tenant.ApiKey);

        var response = await client.GetAsync(path.Replace("{org}", tenant.OrganizationId.ToString()).Replace("{flow}", Guid.NewGuid().ToString()));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal([location], await response.ErrorLocationsAsync());
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("0001-01-01T00:00:00-01:00")]
    [InlineData("9999-12-31T23:00:00%2B01:00")]
    [InlineData("2026-01-01")]
    public async Task QueryInstant_InUtcsRange_IsAccepted(string instant)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("api_key", tenant.ApiKey);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/flow_runs/all?start_date={instant}")).StatusCode);
    }

    [Fact]
    public async Task BodyInstant_NotRepresentableInUtc_Is422AndStoresNothing()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("api_key", tenant.ApiKey);
        var before = (await (await client.GetAsync("/api/v1/api_keys/all")).ReadJsonAsync()).AsArray().Count;

        var response = await client.PostAsJsonAsync("/api/v1/api_keys/", new { name = "year one", expires_at = "0001-01-01T00:00:00+01:00" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(["body.expires_at"], await response.ErrorLocationsAsync());
        Assert.Equal(before, (await (await client.GetAsync("/api/v1/api_keys/all")).ReadJsonAsync()).AsArray().Count);
    }
}
