using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Neena.Domain.ApiKeys;
using Neena.Domain.Users;
using Neena.IntegrationTests.FlowRuns;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Analytics;

/// <summary>
/// Analytics (§9, seed 003) against a known set of runs across states, days, users and pages. The engine is off: the
/// API makes the pending, paused, resumed and cancelled runs; the completed and failed ones are finished in the database
/// as the engine would leave them (status, end time, a failed task's error, tokens).
/// </summary>
public sealed class AnalyticsTests(EngineOffFactory factory) : IClassFixture<EngineOffFactory>
{
    private static readonly string[] RowKeys =
    [
        "run_id", "conversation_id", "date", "is_flow_successful", "state", "error", "latency", "total_tokens", "user_id", "inputs", "outputs",
        "llms", "feedback", "run_type", "ran_by_type", "ran_by_id", "ran_by_display_name", "parent_run_id", "parent_project_id", "parent_project_name",
    ];

    private static readonly DateTime Day1 = new(2026, 11, 1, 10, 0, 0, DateTimeKind.Utc);

    private sealed record World(TestTenant Tenant, Guid User2, string User2Email, HttpClient Key1, HttpClient Key2, HttpClient Legacy, string Flow, string OtherFlow, Dictionary<string, string> Runs);

    private async Task<World> CreateWorldAsync()
    {
        var tenant = await factory.CreateTenantAsync();
        var email2 = $"second-{Guid.NewGuid():N}@example.com";
        var user2 = new User { Email = email2, NormalizedEmail = User.Normalize(email2), FullName = "Second", OrganizationId = tenant.OrganizationId };
        var (key2, plaintext2) = ApiKey.Issue(tenant.OrganizationId, user2.Id, "second key", null, null);
        await using (var db = factory.CreateDbContext())
        {
            db.AddRange(user2, key2);
            await db.SaveChangesAsync();
        }
        var key1 = factory.ClientWithBearer(tenant.ApiKey);
        var client2 = factory.ClientWithBearer(plaintext2);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        async Task<string> FlowAsync(string name) => (await (await key1.PostJsonAsync("/api/v1/flows/", new
        {
            name,
            task_operations = new[] { new { name = "first", task_definition = echo, index = 0 }, new { name = "second", task_definition = echo, index = 1 } },
            dependencies = new[] { new { source_task_operation = 0, target_task_operation = 1 } },
        })).ReadJsonAsync())["id"]!.GetValue<string>();
        var flow = await FlowAsync("Analysed");
        var otherFlow = await FlowAsync("Other");
        var request = (await (await key1.PostJsonAsync("/api/v1/flow_requests/", new { request_instructions = "Analyse these runs." })).ReadJsonAsync())["id"]!.GetValue<string>();

        async Task<string> RunAsync(HttpClient client, DateTime triggered, string? approval = null, string? flowId = null) =>
            (await (await client.PostJsonAsync("/api/v1/flow_runs/", new { flow = flowId ?? flow, flow_request = request, approval_status = approval, triggered_time = triggered })).ReadJsonAsync())["id"]!.GetValue<string>();
        async Task PutAsync(HttpClient client, string action, string id) =>
            Assert.Equal(HttpStatusCode.OK, (await client.PutAsync($"/api/v1/flow_runs/{action}?flow_run_id={id}", null)).StatusCode);

        var runs = new Dictionary<string, string>
        {
            ["pending"] = await RunAsync(key1, Day1, "approved"),
            ["paused"] = await RunAsync(client2, Day1.AddDays(1)),
            ["cancelled"] = await RunAsync(key1, Day1.AddDays(2), "approved"),
            ["resumed"] = await RunAsync(key1, Day1.AddDays(2).AddHours(1)),
            ["completed"] = await RunAsync(key1, Day1.AddDays(3), "approved"),
            ["failed"] = await RunAsync(client2, Day1.AddDays(4), "approved"),
            ["other"] = await RunAsync(key1, Day1.AddDays(4), "approved", otherFlow),
        };
        await PutAsync(key1, "cancel", runs["cancelled"]);
        // Created by the first user's key, approved by the second user's: the approver is who ran it.
        await PutAsync(client2, "approve", runs["resumed"]);
        await PutAsync(key1, "cancel", runs["resumed"]);
        await PutAsync(key1, "retry", runs["resumed"]);

        await using (var db = factory.CreateDbContext())
        {
            // As the engine leaves them: started, ended 2 s (completed) and 10 s (failed) later, with tokens.
            await db.Database.ExecuteSqlRawAsync("""
                UPDATE flow_runs SET status = 'completed', start_time = triggered_time, end_time = triggered_time + interval '2 seconds' WHERE id = {0};
                UPDATE task_runs SET status = 'completed', prompt_tokens = 100, completion_tokens = 20 WHERE flow_run_id = {0};
                UPDATE flow_runs SET status = 'failed', start_time = triggered_time, end_time = triggered_time + interval '10 seconds' WHERE id = {1};
                UPDATE task_runs SET status = 'completed', prompt_tokens = 7, completion_tokens = 3 WHERE flow_run_id = {1} AND task_operation_index = 0;
                UPDATE task_runs SET status = 'failed', error = 'boom' WHERE flow_run_id = {1} AND task_operation_index = 1;
                UPDATE task_runs SET prompt_tokens = 1000 WHERE flow_run_id = {2};
                """, Guid.Parse(runs["completed"]), Guid.Parse(runs["failed"]), Guid.Parse(runs["other"]));
        }
        return new World(tenant, user2.Id, email2, key1, client2, factory.ClientWithApiKeyHeader(tenant.ApiKey), flow, otherFlow, runs);
    }

    private static string RunsPath(World w, string query = "", bool legacy = false) =>
        $"{(legacy ? "" : "/api/v1")}/analytics/org/{w.Tenant.OrganizationId}/flows/{w.Flow}{(query.Length > 0 ? "?" + query : "")}";

    private static async Task<JsonArray> RowsAsync(World w, string query = "", bool legacy = false)
    {
        var response = await (legacy ? w.Legacy : w.Key1).GetAsync(RunsPath(w, query, legacy));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync()).AsArray();
    }

    private static string[] Ids(JsonArray rows) => rows.Select(r => r!["run_id"]!.GetValue<string>()).ToArray();

    [Fact]
    public async Task Runs_AllRowsOfTheFlow_NewestFirst_WithSeedFieldsAndStates_OnBothSurfaces()
    {
        var w = await CreateWorldAsync();

        foreach (var legacy in new[] { false, true })
        {
            var rows = await RowsAsync(w, legacy: legacy);
            Assert.Equal(new[] { "failed", "completed", "resumed", "cancelled", "paused", "pending" }.Select(k => w.Runs[k]), Ids(rows));
            foreach (var row in rows)
                Assert.Equal(RowKeys.Order(), row!.AsObject().Select(p => p.Key).Order());
            Assert.Equal(["FAILED", "COMPLETED", "RESUMED", "CANCELLED", "PAUSED", "PENDING"], rows.Select(r => r!["state"]!.GetValue<string>()));
            Assert.Equal([false, true, null, false, null, null], rows.Select(r => r!["is_flow_successful"]?.GetValue<bool>()));
        }

        var all = await RowsAsync(w);
        var failed = all[0]!;
        Assert.Equal("boom", failed["error"]!.GetValue<string>());
        Assert.Equal(10.0, failed["latency"]!.GetValue<double>());
        Assert.Equal(10, failed["total_tokens"]!.GetValue<long>());
        Assert.Equal(w.User2.ToString(), failed["user_id"]!.GetValue<string>());
        Assert.Equal("api_key", failed["ran_by_type"]!.GetValue<string>());
        Assert.Equal("second key", failed["ran_by_display_name"]!.GetValue<string>());
        Assert.Equal("api", failed["run_type"]!.GetValue<string>());
        Assert.Equal("Analyse these runs.", failed["inputs"]!.GetValue<string>());
        Assert.Equal(Day1.AddDays(4), failed["date"]!.GetValue<DateTime>().ToUniversalTime());
        var completed = all[1]!;
        Assert.Equal(2.0, completed["latency"]!.GetValue<double>());
        Assert.Equal(240, completed["total_tokens"]!.GetValue<long>());
        Assert.Null(completed["error"]);
        var cancelled = all[3]!;
        Assert.Contains("cancelled", cancelled["outputs"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(all[5]!["latency"]);
        Assert.Null(all[5]!["outputs"]);
        // The resumed run was created with the first user's key and approved with the second's: the second ran it.
        Assert.Equal(w.User2.ToString(), all[2]!["user_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Runs_FiltersAndPaging()
    {
        var w = await CreateWorldAsync();

        Assert.Equal([w.Runs["paused"]], Ids(await RowsAsync(w, "state=PAUSED")));
        Assert.Equal([w.Runs["resumed"], w.Runs["pending"]], Ids(await RowsAsync(w, "state=PENDING,%20RESUMED")));
        Assert.Equal([w.Runs["failed"], w.Runs["cancelled"]], Ids(await RowsAsync(w, "state=cancelled,FAILED")));
        Assert.Equal([w.Runs["failed"], w.Runs["resumed"], w.Runs["paused"]], Ids(await RowsAsync(w, $"user_id={w.User2}")));
        Assert.Equal([w.Runs["completed"], w.Runs["cancelled"], w.Runs["pending"]], Ids(await RowsAsync(w, $"user_id={w.Tenant.UserId}")));
        var from = Day1.AddDays(1).ToString("O", CultureInfo.InvariantCulture);
        var to = Day1.AddDays(3).ToString("O", CultureInfo.InvariantCulture);
        Assert.Equal([w.Runs["completed"], w.Runs["resumed"], w.Runs["cancelled"], w.Runs["paused"]],
            Ids(await RowsAsync(w, $"start_date={Uri.EscapeDataString(from)}&end_date={Uri.EscapeDataString(to)}")));
        Assert.Equal([w.Runs["completed"]], Ids(await RowsAsync(w, $"start_date={Uri.EscapeDataString(from)}&end_date={Uri.EscapeDataString(to)}&state=COMPLETED&user_id={w.Tenant.UserId}")));

        var pages = new List<string>();
        for (var page = 0; page < 4; page++)
            pages.AddRange(Ids(await RowsAsync(w, $"page={page}&page_size=2")));
        Assert.Equal(Ids(await RowsAsync(w)), pages);
        Assert.Empty(await RowsAsync(w, "page=3&page_size=2"));
    }

    [Fact]
    public async Task Summary_CountsRatesLatencyTokensAndDays()
    {
        var w = await CreateWorldAsync();

        var response = await w.Legacy.GetAsync($"/analytics/org/{w.Tenant.OrganizationId}/summary");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var all = await response.ReadJsonAsync();
        Assert.Equal(7, all["total_runs"]!.GetValue<long>());
        var counts = all["counts"]!;
        Assert.Equal(2, counts["PENDING"]!.GetValue<long>());
        Assert.Equal(1, counts["PAUSED"]!.GetValue<long>());
        Assert.Equal(1, counts["RESUMED"]!.GetValue<long>());
        Assert.Equal(1, counts["COMPLETED"]!.GetValue<long>());
        Assert.Equal(1, counts["FAILED"]!.GetValue<long>());
        Assert.Equal(1, counts["CANCELLED"]!.GetValue<long>());
        Assert.Equal(Math.Round(1.0 / 3, 4), all["success_rate"]!.GetValue<double>());
        // 240 (completed) + 10 (failed) + 2 × 1000 (the other flow's run).
        Assert.Equal(2250, all["total_tokens"]!.GetValue<long>());
        Assert.Equal(2207, all["prompt_tokens"]!.GetValue<long>());
        var series = all["series"]!.AsArray();
        Assert.Equal(["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"], series.Select(d => d!["date"]!.GetValue<string>()));
        Assert.Equal([1L, 1, 2, 1, 2], series.Select(d => d!["total_runs"]!.GetValue<long>()));
        Assert.Equal(2010, series[4]!["total_tokens"]!.GetValue<long>());

        var flow = await (await w.Key1.GetAsync($"/api/v1/analytics/org/{w.Tenant.OrganizationId}/summary?flow_id={w.Flow}&start_date=2026-11-04T00:00:00Z&end_date=2026-11-06T00:00:00Z")).ReadJsonAsync();
        Assert.Equal(2, flow["total_runs"]!.GetValue<long>());
        Assert.Equal(0.5, flow["success_rate"]!.GetValue<double>());
        // Latencies 2 s and 10 s: the median between them, the 95th percentile near the larger.
        Assert.Equal(6.0, flow["latency_p50"]!.GetValue<double>());
        Assert.Equal(9.6, flow["latency_p95"]!.GetValue<double>());
        Assert.Equal(250, flow["total_tokens"]!.GetValue<long>());
        Assert.Equal(w.Flow, flow["flow_id"]!.GetValue<string>());

        var empty = await (await w.Key1.GetAsync($"/api/v1/analytics/org/{w.Tenant.OrganizationId}/summary?start_date=2030-01-01")).ReadJsonAsync();
        Assert.Equal(0, empty["total_runs"]!.GetValue<long>());
        Assert.Null(empty["success_rate"]);
        Assert.Null(empty["latency_p50"]);
        Assert.Empty(empty["series"]!.AsArray());
    }

    [Fact]
    public async Task AnotherOrganization_OrgOrFlow_Returns404_BadParameters_Return422()
    {
        var w = await CreateWorldAsync();
        var other = await factory.CreateTenantAsync();
        var stranger = factory.ClientWithBearer(other.ApiKey);

        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync(RunsPath(w))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/analytics/org/{w.Tenant.OrganizationId}/summary")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/v1/analytics/org/{other.OrganizationId}/flows/{w.Flow}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/v1/analytics/org/{other.OrganizationId}/summary?flow_id={w.Flow}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await w.Key1.GetAsync($"/api/v1/analytics/org/{w.Tenant.OrganizationId}/flows/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await w.Key1.GetAsync($"/api/v1/analytics/org/not-a-uuid/summary")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await stranger.GetAsync($"/api/v1/analytics/org/{other.OrganizationId}/summary")).StatusCode);

        foreach (var (query, location) in new[]
        {
            ("page=-1", "query.page"),
            ("page=0x1", "query.page"),
            ("page_size=0", "query.page_size"),
            ("page_size=1001", "query.page_size"),
            ("state=RUNNING", "query.state"),
            ("user_id=abc", "query.user_id"),
            ("start_date=yesterday", "query.start_date"),
            ("start_date=2026-11-05&end_date=2026-11-01", "query.end_date"),
        })
        {
            var response = await w.Key1.GetAsync(RunsPath(w, query));
            Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, $"{query}: {response.StatusCode}");
            Assert.Equal([location], await response.ErrorLocationsAsync());
        }
        var summary = await w.Key1.GetAsync($"/api/v1/analytics/org/{w.Tenant.OrganizationId}/summary?flow_id=nope");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, summary.StatusCode);
        Assert.Equal(["query.flow_id"], await summary.ErrorLocationsAsync());
    }
}
