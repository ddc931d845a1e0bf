using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Platform;

public sealed class PlatformTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    [Fact]
    public async Task HealthLive_NoCredentials_Returns200()
    {
        var response = await factory.CreateClient().GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task HealthReady_DatabaseUp_Returns200Healthy()
    {
        var response = await factory.CreateClient().GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", (await response.ReadJsonAsync())["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnyResponse_CarriesRequestId_EchoingASaneOne()
    {
        var client = factory.CreateClient();
        var generated = await client.GetAsync("/health/live");
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/users/");
        request.Headers.Add("X-Request-Id", "client-chosen-123");
        var echoed = await client.SendAsync(request);
        var hostile = new HttpRequestMessage(HttpMethod.Get, "/nowhere");
        hostile.Headers.TryAddWithoutValidation("X-Request-Id", "bad id\twith spaces");
        var replaced = await client.SendAsync(hostile);

        Assert.False(string.IsNullOrEmpty(generated.Headers.GetValues("X-Request-Id").Single()));
        Assert.Equal("client-chosen-123", echoed.Headers.GetValues("X-Request-Id").Single());
        Assert.NotEqual("bad id\twith spaces", replaced.Headers.GetValues("X-Request-Id").Single());
    }

    [Fact]
    public async Task UnknownRoute_Returns404Detail()
    {
        var tenant = await factory.CreateTenantAsync();

        var response = await factory.ClientWithBearer(tenant.ApiKey).GetAsync("/api/v1/does_not_exist");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Not Found", await response.DetailAsync());
    }

    [Theory]
    [InlineData("/api/v1/does_not_exist")]
    [InlineData("/does_not_exist")]
    [InlineData("/flow_runs/nowhere/deeper")]
    public async Task UnknownRoute_AnyCaller_Returns404Detail(string path)
    {
        var anonymous = factory.CreateClient();
        var badKey = factory.CreateClient();
        badKey.DefaultRequestHeaders.Add("api_key", "nk_not_a_key");

        foreach (var client in new[] { anonymous, badKey })
        {
            var response = await client.GetAsync(path);

            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("Not Found", await response.DetailAsync());
        }
    }

    [Fact]
    public async Task MalformedJson_Returns422WithBodyKey()
    {
        var tenant = await factory.CreateTenantAsync();

        var response = await factory.ClientWithBearer(tenant.ApiKey).PostAsync("/api/v1/api_keys/", JsonHelpers.RawJson("{\"name\": \"x\""));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(["body"], await response.ErrorLocationsAsync());
    }

    [Theory]
    [InlineData("{\"name\": 12}", "body.name", "str type expected")]
    [InlineData("{\"name\": \"x\", \"permissions\": \"read\"}", "body.permissions", "value is not a valid list")]
    [InlineData("{\"name\": \"x\", \"expires_at\": \"tomorrow\"}", "body.expires_at", "invalid datetime format")]
    [InlineData("{\"name\": \"x\", \"permissions\": [1]}", "body.permissions.0", "str type expected")]
    public async Task WrongJsonType_Returns422AtThePath(string json, string location, string message)
    {
        var tenant = await factory.CreateTenantAsync();

        var response = await factory.ClientWithBearer(tenant.ApiKey).PostAsync("/api/v1/api_keys/", JsonHelpers.RawJson(json));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(message, await response.ErrorMessageAsync(location));
    }

    [Theory]
    [InlineData("/api/v1/api_keys/all", "skip", "0x10")]
    [InlineData("/api/v1/api_keys/all", "skip", "+5")]
    [InlineData("/api/v1/api_keys/all", "limit", "1e2")]
    [InlineData("/api/v1/api_keys/all", "limit", "5.0")]
    [InlineData("/api/v1/api_keys/all", "limit", " 5")]
    [InlineData("/api/v1/api_keys/all", "skip", "-")]
    [InlineData("/flows/all", "skip", "\u0665")]
    [InlineData("/flow_runs/all", "limit", "0x10")]
    [InlineData("/flow_requests/all", "skip", "+0")]
    public async Task QueryInteger_NotPlainDecimal_Returns422NotAValidInteger(string path, string name, string value)
    {
        var tenant = await factory.CreateTenantAsync();

        var response = await factory.ClientWithBearer(tenant.ApiKey).GetAsync($"{path}?{name}={Uri.EscapeDataString(value)}");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal([$"query.{name}"], await response.ErrorLocationsAsync());
        Assert.Equal("value is not a valid integer", await response.ErrorMessageAsync($"query.{name}"));
    }

    [Theory]
    [InlineData("skip=007&limit=2", HttpStatusCode.OK)]
    [InlineData("skip=-0", HttpStatusCode.OK)]
    [InlineData("skip=-1", HttpStatusCode.UnprocessableEntity)]
    [InlineData("limit=99999999999", HttpStatusCode.UnprocessableEntity)]
    public async Task QueryInteger_PlainDecimal_IsReadThenRangeChecked(string query, HttpStatusCode expected)
    {
        var tenant = await factory.CreateTenantAsync();

        var response = await factory.ClientWithBearer(tenant.ApiKey).GetAsync($"/api/v1/api_keys/all?{query}");

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task OversizedBody_Returns413()
    {
        var tenant = await factory.CreateTenantAsync();
        var huge = "{\"name\": \"" + new string('a', 1024 * 1024 + 10) + "\"}";

        var response = await factory.ClientWithBearer(tenant.ApiKey).PostAsync("/api/v1/api_keys/", JsonHelpers.RawJson(huge));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.NotNull(await response.DetailAsync());
    }

    [Fact]
    public async Task Swagger_DocumentsBothSurfacesAndSchemes()
    {
        var response = await factory.CreateClient().GetAsync("/swagger/v1/swagger.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = await response.ReadJsonAsync();
        var paths = doc["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/api/v1/users", paths);
        Assert.Contains("/users", paths);
        Assert.Contains("/api/v1/api_keys/all", paths);
        var schemes = doc["components"]!["securitySchemes"]!.AsObject();
        Assert.True(schemes.ContainsKey("Bearer"));
        Assert.Equal("api_key", schemes["api_key"]!["name"]!.GetValue<string>());
        var userSchema = doc["components"]!["schemas"]!["User"]!;
        Assert.Contains("full_name", userSchema["properties"]!.AsObject().Select(p => p.Key));
    }

    public static TheoryData<string, string, string?, string?> HostileRequests()
    {
        var data = new TheoryData<string, string, string?, string?>();
        string[] bodies =
        [
            "null", "[]", "\"text\"", "123", "{}", "{\"name\": null}", "{\"name\": {\"$ne\": 1}}",
            "{\"name\": \"'; DROP TABLE api_keys; --\"}", "{\"name\": \"\\u0000\"}", "{\"name\": \"💥" + new string('é', 5000) + "\"}",
            new string('[', 5000) + new string(']', 5000), "{\"permissions\": " + new string('[', 100) + new string(']', 100) + "}",
            "{\"expires_at\": \"9999-99-99\"}", "{\"expires_at\": 1e309}", "{\"email\": \"a@b.c\", \"auth0_id\": 7}", "{\"full_name\": [\"x\"]}",
            "\uFEFF{}", "{\"name\": \"x\"}garbage",
        ];
        string[] writes =
        [
            "/api/v1/api_keys/", "/api_keys/", "/api/v1/users/create_if_not_exists", "/users/create_if_not_exists",
            "/api/v1/flow_requests/", "/flow_requests/", "/api/v1/flows/", "/flows/", "/api/v1/flow_runs/", "/flow_runs",
        ];
        foreach (var path in writes)
        {
            foreach (var body in bodies)
                data.Add("POST", path, body, "application/json");
            data.Add("POST", path, "name=x", "application/x-www-form-urlencoded");
            data.Add("POST", path, "<xml/>", "text/xml");
            data.Add("POST", path, null, null);
        }
        string[] queries = ["?id=", "?id=null", "?id=' OR 1=1 --", "?id=00000000-0000-0000-0000-000000000000", "?id=" + new string('f', 5000), "?id[]=1&id=2", "?id=%00"];
        foreach (var q in queries)
        {
            data.Add("DELETE", "/api/v1/api_keys/" + q, null, null);
            data.Add("DELETE", "/api_keys" + q, null, null);
            foreach (var resource in new[] { "flow_requests", "flows" })
            {
                data.Add("GET", $"/api/v1/{resource}/{q}", null, null);
                data.Add("DELETE", $"/{resource}/{q}", null, null);
            }
            foreach (var resource in new[] { "integrations", "task_definitions" })
                data.Add("GET", $"/{resource}/{q}", null, null);
            data.Add("GET", "/api/v1/flow_runs/" + q, null, null);
            data.Add("GET", "/flow_runs/with_flow_result" + q, null, null);
            var runQuery = q.Replace("?id", "?flow_run_id", StringComparison.Ordinal);
            foreach (var action in new[] { "approve", "reject", "cancel" })
                data.Add("PUT", $"/api/v1/flow_runs/{action}{runQuery}", null, null);
            data.Add("GET", "/flow_runs/all_for_flow_id" + q.Replace("?id", "?flow_id", StringComparison.Ordinal), null, null);
        }
        string[] updates =
        [
            "{\"id\": \"00000000-0000-0000-0000-000000000000\", \"request_instructions\": \"long enough\"}",
            "{\"id\": \"nope\"}", "{\"id\": null, \"name\": \"x\", \"task_operations\": []}", "{\"request_instructions\": null, \"id\": \"00000000-0000-0000-0000-000000000000\"}",
            "{\"id\": \"00000000-0000-0000-0000-000000000000\", \"name\": \"x\", \"task_operations\": [{\"name\": \"a\", \"task_definition\": \"00000000-0000-0000-0000-000000000000\", \"index\": 2147483647}], \"dependencies\": [{\"source_task_operation\": -2147483648, \"target_task_operation\": 2147483647}]}",
            "{\"name\": \"x\", \"task_operations\": [null], \"dependencies\": [null]}", "{\"name\": \"x\", \"task_operations\": [{\"index\": 1e3}]}",
        ];
        foreach (var body in updates)
        {
            data.Add("PUT", "/api/v1/flow_requests/", body, "application/json");
            data.Add("PUT", "/flows/", body, "application/json");
            data.Add("POST", "/api/v1/flows/", body, "application/json");
        }
        string[] pages = ["?skip=1e3", "?limit=-0", "?limit=99999999999999", "?skip=%F0%9F%92%A5", "?limit=1&limit=2", "?skip="];
        foreach (var q in pages)
        {
            foreach (var resource in new[] { "api_keys", "flow_requests", "flows", "integrations", "task_definitions", "flow_runs", "flow_runs/preview" })
                data.Add("GET", $"/api/v1/{resource}/all" + q, null, null);
        }
        string[] runFilters = ["?status=,,,", "?status=" + new string('x', 3000), "?status=pending;DROP", "?flow_id=1", "?start_date=0001-01-01", "?end_date=9999-12-31T23:59:59.9999999", "?start_date=2024-02-30"];
        foreach (var q in runFilters)
        {
            data.Add("GET", "/api/v1/flow_runs/all" + q, null, null);
            data.Add("GET", "/flow_runs/preview/all" + q, null, null);
        }
        data.Add("GET", "/api/v1/users/?x=" + new string('a', 4000), null, null);
        data.Add("PATCH", "/api/v1/users/", "{}", "application/json");
        data.Add("PUT", "/api/v1/api_keys/", "{}", "application/json");
        return data;
    }

    [Theory]
    [MemberData(nameof(HostileRequests))]
    public async Task HostileRequest_NeverAnswers5xxAndChangesNothing(string method, string path, string? body, string? contentType)
    {
        var tenant = await factory.CreateTenantAsync();
        var before = await SnapshotAsync();
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, contentType!);
        request.Headers.Add("api_key", tenant.ApiKey);

        var response = await factory.CreateClient().SendAsync(request);

        Assert.InRange((int)response.StatusCode, 200, 499);
        if ((int)response.StatusCode >= 400)
        {
            var json = await response.ReadJsonAsync();
            Assert.True(json["detail"] is not null || json["errors"] is not null, json.ToJsonString());
            Assert.Equal(before, await SnapshotAsync());
        }
    }

    private async Task<string> SnapshotAsync()
    {
        await using var db = factory.CreateDbContext();
        var counts = new[]
        {
            await db.Users.IgnoreQueryFilters().CountAsync(),
            await db.Organizations.CountAsync(),
            await db.ApiKeys.IgnoreQueryFilters().CountAsync(),
            await db.ApiKeys.IgnoreQueryFilters().CountAsync(k => k.RevokedAt != null),
            await db.FlowRequests.IgnoreQueryFilters().CountAsync(),
            await db.FlowRequests.IgnoreQueryFilters().CountAsync(r => r.DeletedAt != null),
            await db.Flows.IgnoreQueryFilters().CountAsync(),
            await db.TaskOperations.CountAsync(),
            await db.TaskDependencies.CountAsync(),
            await db.FlowRuns.IgnoreQueryFilters().CountAsync(),
            await db.FlowRuns.IgnoreQueryFilters().CountAsync(r => r.Status != "pending"),
            await db.TaskRuns.IgnoreQueryFilters().CountAsync(),
            await db.FlowResults.IgnoreQueryFilters().CountAsync(),
        };
        return string.Join(',', counts);
    }
}
