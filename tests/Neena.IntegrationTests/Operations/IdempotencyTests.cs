using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Neena.IntegrationTests.FlowRuns;
using Neena.IntegrationTests.Infrastructure;
using Npgsql;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Operations;

public sealed class IdempotencyTests(EngineOffFactory factory) : IClassFixture<EngineOffFactory>
{
    private sealed record Setup(TestTenant Tenant, HttpClient V1, HttpClient Legacy, string Flow, string Request);

    private async Task<Setup> SetUpAsync()
    {
        var tenant = await factory.CreateTenantAsync();
        var v1 = factory.ClientWithBearer(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(v1, "idempotent", [new Engine.Op(0, echo, new { message = "hi" })]);
        var request = await CreateRequestAsync(v1, flow);
        return new Setup(tenant, v1, factory.ClientWithApiKeyHeader(tenant.ApiKey), flow, request);
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string json, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null)
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        return client.SendAsync(request);
    }

    private static string RunBody(Setup s) => $$"""{"flow": "{{s.Flow}}", "flow_request": "{{s.Request}}"}""";

    private async Task<int> RunCountAsync(Setup s)
    {
        await using var db = factory.CreateDbContext(s.Tenant.OrganizationId);
        return await db.FlowRuns.CountAsync();
    }

    private async Task<long> KeyCountAsync(Guid organization)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM idempotency_keys WHERE organization_id = $1", connection) { Parameters = { new() { Value = organization } } };
        return (long)(await count.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Post_SameKeyAndBodyOnEitherSurface_ReplaysTheFirstAnswerAndCreatesOneRun()
    {
        var s = await SetUpAsync();
        var key = "create-run-" + Guid.NewGuid();

        var first = await PostAsync(s.V1, "/api/v1/flow_runs/", RunBody(s), key);
        var again = await PostAsync(s.V1, "/api/v1/flow_runs", RunBody(s), key);
        var legacy = await PostAsync(s.Legacy, "/flow_runs/", RunBody(s), key);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        var body = await first.Content.ReadAsStringAsync();
        foreach (var replay in new[] { again, legacy })
        {
            Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
            Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
            Assert.Equal("application/json", replay.Content.Headers.ContentType!.MediaType);
            Assert.Equal(body, await replay.Content.ReadAsStringAsync());
        }
        Assert.Equal(1, await RunCountAsync(s));
        // Without a key, every POST is a new run.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(s.V1, "/api/v1/flow_runs/", RunBody(s), null)).StatusCode);
        Assert.Equal(2, await RunCountAsync(s));
    }

    [Fact]
    public async Task Post_SameKeyWithAnotherBodyOrPath_Answers422AndCreatesNothing()
    {
        var s = await SetUpAsync();
        var key = "k-" + Guid.NewGuid();
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(s.V1, "/api/v1/flow_runs/", RunBody(s), key)).StatusCode);

        var otherBody = await PostAsync(s.V1, "/api/v1/flow_runs/", RunBody(s).Replace("}", ", \"triggered_by\": \"someone\"}", StringComparison.Ordinal), key);
        var otherPath = await PostAsync(s.V1, "/api/v1/flow_requests/", """{"request_instructions": "Another request entirely"}""", key);

        foreach (var response in new[] { otherBody, otherPath })
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal(["header.Idempotency-Key"], await response.ErrorLocationsAsync());
        }
        Assert.Equal(1, await RunCountAsync(s));
    }

    [Fact]
    public async Task Post_ConcurrentDuplicatesWithOneKey_CreateExactlyOneRun()
    {
        var s = await SetUpAsync();
        var key = "race-" + Guid.NewGuid();

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            PostAsync(i % 2 == 0 ? s.V1 : s.Legacy, i % 2 == 0 ? "/api/v1/flow_runs/" : "/flow_runs", RunBody(s), key)));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var ids = new HashSet<string>();
        foreach (var answer in answers)
            ids.Add((await answer.ReadJsonAsync())["id"]!.GetValue<string>());
        Assert.Single(ids);
        Assert.Equal(1, await RunCountAsync(s));
        Assert.Equal(11, answers.Count(a => a.Headers.Contains("Idempotent-Replayed")));
    }

    [Theory]
    [InlineData(256, HttpStatusCode.UnprocessableEntity)]
    [InlineData(255, HttpStatusCode.OK)]
    public async Task Post_KeyLength_MostIs255Characters(int length, HttpStatusCode expected)
    {
        var s = await SetUpAsync();

        var response = await PostAsync(s.V1, "/api/v1/flow_runs/", RunBody(s), new string('k', length));

        Assert.Equal(expected, response.StatusCode);
        if (expected != HttpStatusCode.OK)
        {
            Assert.Equal(["header.Idempotency-Key"], await response.ErrorLocationsAsync());
            Assert.Equal(0, await RunCountAsync(s));
        }
    }

    [Fact]
    public async Task Post_RefusedFirstRequest_StoresNothingAndTheKeyCanBeUsedAgain()
    {
        var s = await SetUpAsync();
        var key = "fix-and-retry-" + Guid.NewGuid();

        var refused = await PostAsync(s.V1, "/api/v1/flow_runs/", $$"""{"flow": "{{s.Flow}}", "flow_request": "{{Guid.NewGuid()}}"}""", key);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal(0, await KeyCountAsync(s.Tenant.OrganizationId));

        var corrected = await PostAsync(s.V1, "/api/v1/flow_runs/", RunBody(s), key);
        Assert.Equal(HttpStatusCode.OK, corrected.StatusCode);
        Assert.Equal(1, await KeyCountAsync(s.Tenant.OrganizationId));
        Assert.Equal(1, await RunCountAsync(s));
    }

    [Fact]
    public async Task Post_SameKeyInAnotherOrganization_IsAnotherKey()
    {
        var a = await SetUpAsync();
        var b = await SetUpAsync();
        var key = "shared-" + Guid.NewGuid();

        var first = await PostAsync(a.V1, "/api/v1/flow_requests/", """{"request_instructions": "Same body in two organizations"}""", key);
        var second = await PostAsync(b.V1, "/api/v1/flow_requests/", """{"request_instructions": "Same body in two organizations"}""", key);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.False(second.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual((await first.ReadJsonAsync())["id"]!.ToString(), (await second.ReadJsonAsync())["id"]!.ToString());
    }

    [Fact]
    public async Task Post_ApiKeyWithRepeatedKey_CreatesOneKeyAndNeverRepeatsTheSecret()
    {
        var s = await SetUpAsync();
        var key = "api-key-" + Guid.NewGuid();

        var first = await PostAsync(s.V1, "/api/v1/api_keys/", """{"name": "once"}""", key);
        var again = await PostAsync(s.V1, "/api/v1/api_keys/", """{"name": "once"}""", key);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("shown only once", await again.DetailAsync());
        await using var db = factory.CreateDbContext(s.Tenant.OrganizationId);
        Assert.Equal(1, await db.ApiKeys.CountAsync(k => k.Name == "once"));
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var stored = new NpgsqlCommand("SELECT body IS NULL FROM idempotency_keys WHERE key = $1", connection) { Parameters = { new() { Value = key } } };
        Assert.True((bool)(await stored.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Cleanup_ExpiredKeys_AreDeletedAndTheKeyIsFreeAgain()
    {
        var s = await SetUpAsync();
        var key = "expiring-" + Guid.NewGuid();
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(s.V1, "/api/v1/flow_runs/", RunBody(s), key)).StatusCode);
        var live = "live-" + Guid.NewGuid();
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(s.V1, "/api/v1/flow_requests/", """{"request_instructions": "Still within its day"}""", live)).StatusCode);
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var age = new NpgsqlCommand("UPDATE idempotency_keys SET expires_at = now() - interval '1 minute' WHERE key = $1", connection) { Parameters = { new() { Value = key } } };
            Assert.Equal(1, await age.ExecuteNonQueryAsync());
        }

        // An expired key is not replayed, even before the cleanup has run.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(s.V1, "/api/v1/flow_runs/", RunBody(s), key)).StatusCode);
        Assert.Equal(2, await RunCountAsync(s));
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var age = new NpgsqlCommand("UPDATE idempotency_keys SET expires_at = now() - interval '1 minute' WHERE key = $1", connection) { Parameters = { new() { Value = key } } };
            Assert.Equal(1, await age.ExecuteNonQueryAsync());
        }
        var deleted = await factory.Services.GetRequiredService<Neena.Api.Workers.IdempotencyKeyCleanup>().DeleteExpiredAsync(CancellationToken.None);

        Assert.True(deleted >= 1);
        Assert.Equal(1, await KeyCountAsync(s.Tenant.OrganizationId));
    }
}
