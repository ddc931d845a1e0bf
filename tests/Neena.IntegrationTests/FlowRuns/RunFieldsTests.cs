using System.Net;
using System.Text.Json.Nodes;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.FlowRuns;

/// <summary>The run fields of §9 (tags, run type, who ran it, duration), the path alias, and retry's refusals and races (engine off).</summary>
public sealed class RunFieldsTests(EngineOffFactory factory) : IClassFixture<EngineOffFactory>
{
    private static readonly string[] NewRunKeys = ["duration_ms", "failed_task", "total_tokens", "tags", "run_type", "ran_by_type", "ran_by_id", "created_by_type", "created_by_id", "retry_count"];

    private sealed record Setup(TestTenant Tenant, HttpClient Key, HttpClient Legacy, HttpClient Jwt, string FlowId, string RequestId);

    private async Task<Setup> SetUpAsync()
    {
        var tenant = await factory.CreateTenantAsync();
        var key = factory.ClientWithBearer(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await (await key.PostJsonAsync("/api/v1/flows/", new
        {
            name = "Fields",
            task_operations = new[] { new { name = "a", task_definition = echo, index = 0 }, new { name = "b", task_definition = echo, index = 1 } },
            dependencies = new[] { new { source_task_operation = 0, target_task_operation = 1 } },
        })).ReadJsonAsync();
        var request = await (await key.PostJsonAsync("/api/v1/flow_requests/", new { request_instructions = "Please run the flow." })).ReadJsonAsync();
        return new Setup(tenant, key, factory.ClientWithApiKeyHeader(tenant.ApiKey), factory.ClientWithBearer(NeenaFactory.Jwt(tenant.Auth0Id!, tenant.Email)),
            flow["id"]!.GetValue<string>(), request["id"]!.GetValue<string>());
    }

    private static async Task<JsonNode> CreateAsync(Setup s, HttpClient client, object? extra = null, string path = "/api/v1/flow_runs/", string? approval = null)
    {
        var body = new JsonObject { ["flow"] = s.FlowId, ["flow_request"] = s.RequestId, ["approval_status"] = approval };
        if (extra is not null)
        {
            foreach (var (k, v) in System.Text.Json.JsonSerializer.SerializeToNode(extra)!.AsObject())
                body[k] = v?.DeepClone();
        }
        var response = await client.PostJsonAsync(path, body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.ReadJsonAsync();
    }

    private static string Id(JsonNode run) => run["id"]!.GetValue<string>();

    private static string? Str(JsonNode run, string key) => run[key]?.GetValue<string>();

    [Fact]
    public async Task Create_RecordsRunTypeAndWhoCreatedIt_PerCredential_OnBothSurfaces()
    {
        var s = await SetUpAsync();

        var byKey = await CreateAsync(s, s.Key);
        var byLegacyKey = await CreateAsync(s, s.Legacy, path: "/flow_runs");
        var byJwt = await CreateAsync(s, s.Jwt);

        foreach (var run in new[] { byKey, byLegacyKey })
        {
            foreach (var key in NewRunKeys)
                Assert.True(run.AsObject().ContainsKey(key), key);
            Assert.Equal("api", Str(run, "run_type"));
            Assert.Equal("api_key", Str(run, "ran_by_type"));
            Assert.Equal(s.Tenant.ApiKeyId.ToString(), Str(run, "ran_by_id"));
            Assert.Equal("api_key", Str(run, "created_by_type"));
            Assert.Null(run["duration_ms"]);
            Assert.Null(run["failed_task"]);
            Assert.Empty(run["tags"]!.AsArray());
            Assert.Equal(0, run["retry_count"]!.GetValue<int>());
        }
        Assert.Equal("manual", Str(byJwt, "run_type"));
        Assert.Equal("user", Str(byJwt, "ran_by_type"));
        Assert.Equal(s.Tenant.UserId.ToString(), Str(byJwt, "ran_by_id"));
        Assert.Equal(s.Tenant.UserId.ToString(), Str(byJwt, "created_by_id"));
    }

    [Fact]
    public async Task Approve_ByAnotherCredential_MakesTheApproverWhoRanIt_CreatorKept()
    {
        var s = await SetUpAsync();
        var run = await CreateAsync(s, s.Key);

        var approved = await (await s.Jwt.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={Id(run)}", null)).ReadJsonAsync();

        Assert.Equal("user", Str(approved, "ran_by_type"));
        Assert.Equal(s.Tenant.UserId.ToString(), Str(approved, "ran_by_id"));
        Assert.Equal("api_key", Str(approved, "created_by_type"));
        Assert.Equal(s.Tenant.ApiKeyId.ToString(), Str(approved, "created_by_id"));
        Assert.Equal("api", Str(approved, "run_type"));
    }

    [Fact]
    public async Task EndedRuns_HaveDuration_PathAliasAnswersLikeQueryId()
    {
        var s = await SetUpAsync();
        var rejected = await CreateAsync(s, s.Key, approval: "rejected");
        var run = await CreateAsync(s, s.Key, approval: "approved");
        var cancelled = await (await s.Key.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={Id(run)}", null)).ReadJsonAsync();

        Assert.NotNull(rejected["duration_ms"]);
        Assert.True(cancelled["duration_ms"]!.GetValue<long>() >= 0);
        Assert.Null(cancelled["failed_task"]);
        Assert.All(cancelled["task_runs"]!.AsArray(), t => Assert.True(t!.AsObject().ContainsKey("duration_ms")));

        foreach (var (client, prefix) in new[] { (s.Key, "/api/v1"), (s.Legacy, "") })
        {
            var byQuery = await client.GetAsync($"{prefix}/flow_runs/?id={Id(run)}");
            var byPath = await client.GetAsync($"{prefix}/flow_runs/{Id(run)}");
            Assert.Equal(HttpStatusCode.OK, byPath.StatusCode);
            Assert.Equal(await byQuery.Content.ReadAsStringAsync(), await byPath.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"{prefix}/flow_runs/{Guid.NewGuid()}")).StatusCode);
            var malformed = await client.GetAsync($"{prefix}/flow_runs/not-a-uuid");
            Assert.Equal(HttpStatusCode.UnprocessableEntity, malformed.StatusCode);
            Assert.Equal(["path.id"], await malformed.ErrorLocationsAsync());
        }
    }

    [Fact]
    public async Task Tags_AreStored_FilteredByTag_AndValidated()
    {
        var s = await SetUpAsync();
        var tagged = await CreateAsync(s, s.Key, new { tags = new[] { "env:prod", "nightly" } });
        await CreateAsync(s, s.Key, new { tags = new[] { "env:test" } });
        await CreateAsync(s, s.Key);

        Assert.Equal(["env:prod", "nightly"], tagged["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        var listed = (await (await s.Key.GetAsync("/api/v1/flow_runs/all?tag=nightly")).ReadJsonAsync()).AsArray();
        Assert.Equal(Id(tagged), Assert.Single(listed)!["id"]!.GetValue<string>());
        Assert.Single((await (await s.Legacy.GetAsync("/flow_runs/preview/all?tag=env:test")).ReadJsonAsync()).AsArray());
        Assert.Empty((await (await s.Key.GetAsync("/api/v1/flow_runs/all?tag=none")).ReadJsonAsync()).AsArray());

        foreach (var (tags, location) in new (object, string)[]
        {
            (new[] { "has space" }, "body.tags[0]"),
            (new[] { "" }, "body.tags[0]"),
            (new[] { new string('x', 65) }, "body.tags[0]"),
            (new[] { "a", "a" }, "body.tags"),
            (Enumerable.Range(0, 21).Select(i => $"t{i}").ToArray(), "body.tags"),
        })
        {
            var response = await s.Key.PostJsonAsync("/api/v1/flow_runs/", new { flow = s.FlowId, flow_request = s.RequestId, tags });
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            var locations = await response.ErrorLocationsAsync();
            Assert.Contains(locations, l => l.Replace(".0", "[0]", StringComparison.Ordinal) == location);
        }
        var bad = await s.Key.GetAsync("/api/v1/flow_runs/all?tag=a%20b");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Equal(["query.tag"], await bad.ErrorLocationsAsync());
    }

    [Fact]
    public async Task Retry_RefusedStates_Return409_Unknown404_AnotherOrganization404()
    {
        var s = await SetUpAsync();
        var pending = await CreateAsync(s, s.Key);
        var running = await CreateAsync(s, s.Key, approval: "approved");
        var rejected = await CreateAsync(s, s.Key, approval: "rejected");
        var cancelledUnapproved = await CreateAsync(s, s.Key);
        await s.Key.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={Id(cancelledUnapproved)}", null);

        foreach (var run in new[] { pending, running, rejected, cancelledUnapproved })
            Assert.Equal(HttpStatusCode.Conflict, (await s.Key.PutAsync($"/api/v1/flow_runs/retry?flow_run_id={Id(run)}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await s.Legacy.PutAsync($"/flow_runs/retry?flow_run_id={Guid.NewGuid()}", null)).StatusCode);
        var missing = await s.Key.PutAsync("/api/v1/flow_runs/retry", null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.StatusCode);
        Assert.Equal(["query.flow_run_id"], await missing.ErrorLocationsAsync());

        await s.Key.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={Id(running)}", null);
        var other = await SetUpAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await other.Key.PutAsync($"/api/v1/flow_runs/retry?flow_run_id={Id(running)}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Legacy.GetAsync($"/flow_runs/{Id(running)}")).StatusCode);
        Assert.Equal("cancelled", Str(await (await s.Key.GetAsync($"/api/v1/flow_runs/{Id(running)}")).ReadJsonAsync(), "status"));
    }

    [Fact]
    public async Task Retry_CancelledRun_PendingAgainAndInProgress_FlowResultKeptUntilTheEnd()
    {
        var s = await SetUpAsync();
        var run = await CreateAsync(s, s.Key, approval: "approved");
        await s.Key.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={Id(run)}", null);
        var before = await (await s.Key.GetAsync($"/api/v1/flow_runs/with_flow_result?id={Id(run)}")).ReadJsonAsync();

        var response = await s.Legacy.PutAsync($"/flow_runs/retry?flow_run_id={Id(run)}", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var retried = await response.ReadJsonAsync();
        Assert.Equal("in_progress", Str(retried, "status"));
        Assert.Equal("approved", Str(retried, "approval_status"));
        Assert.Null(retried["end_time"]);
        Assert.Null(retried["duration_ms"]);
        Assert.Equal(1, retried["retry_count"]!.GetValue<int>());
        Assert.All(retried["task_runs"]!.AsArray(), t => Assert.Equal("pending", t!["status"]!.GetValue<string>()));
        // Cancelling again ends it again and rewrites its one flow result in place.
        await s.Key.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={Id(run)}", null);
        var after = await (await s.Key.GetAsync($"/api/v1/flow_runs/with_flow_result?id={Id(run)}")).ReadJsonAsync();
        Assert.Equal(before["flow_result"]!["id"]!.GetValue<string>(), after["flow_result"]!["id"]!.GetValue<string>());
        Assert.Equal("cancelled", Str(after, "status"));
    }

    [Fact]
    public async Task Retry_RacingRetriesAndCancels_OneRetryWins_StateStaysConsistent()
    {
        var s = await SetUpAsync();
        for (var round = 0; round < 5; round++)
        {
            var run = await CreateAsync(s, s.Key, approval: "approved");
            await s.Key.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={Id(run)}", null);

            var calls = Enumerable.Range(0, 6).Select(i => i % 3 == 2
                    ? s.Key.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={Id(run)}", null)
                    : s.Key.PutAsync($"/api/v1/flow_runs/retry?flow_run_id={Id(run)}", null))
                .ToArray();
            var statuses = (await Task.WhenAll(calls)).Select(r => r.StatusCode).ToArray();

            Assert.All(statuses, c => Assert.True(c is HttpStatusCode.OK or HttpStatusCode.Conflict, c.ToString()));
            var retries = statuses.Where((c, i) => i % 3 != 2 && c == HttpStatusCode.OK).Count();
            var cancels = statuses.Where((c, i) => i % 3 == 2 && c == HttpStatusCode.OK).Count();
            // Successful changes alternate retry, cancel, retry…: each cancel needs a retry before it, each further retry a cancel.
            Assert.True(retries >= 1 && (retries == cancels || retries == cancels + 1), $"{retries} retries, {cancels} cancels");
            var final = await (await s.Key.GetAsync($"/api/v1/flow_runs/{Id(run)}")).ReadJsonAsync();
            Assert.Equal(retries, final["retry_count"]!.GetValue<int>());
            var tasks = final["task_runs"]!.AsArray();
            Assert.Equal(2, tasks.Count);
            if (Str(final, "status") == "cancelled")
                Assert.All(tasks, t => Assert.Equal("cancelled", t!["status"]!.GetValue<string>()));
            else
                Assert.All(tasks, t => Assert.Equal("pending", t!["status"]!.GetValue<string>()));
            await using var db = factory.CreateDbContext(s.Tenant.OrganizationId);
            Assert.Equal(1, db.FlowResults.Count(r => r.FlowRunId == Guid.Parse(Id(run))));
        }
    }
}
