using System.Net;
using System.Text.Json.Nodes;
using Neena.IntegrationTests.Infrastructure;
using Neena.IntegrationTests.Triggers;
using static Neena.IntegrationTests.Triggers.TriggerTestSupport;

namespace Neena.IntegrationTests.Schedules;

/// <summary>The schedules API (§11): CRUD on both surfaces, next fire times, the approval default, and its refusals.</summary>
public sealed class ScheduleTriggerOperationsTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private static readonly string[] ResponseKeys =
    [
        "id", "name", "cron", "time_zone", "template_body", "flow", "requires_approval", "status", "missed_fires", "next_fire_times",
        "last_fire_time", "organization", "created_date", "modified_date", "created_by_email", "modified_by_email", "deleted_at",
    ];

    private const string Path = "/schedule_trigger_operations/";

    public static TheoryData<string> BothSurfaces => Surfaces;

    [Theory]
    [MemberData(nameof(BothSurfaces))]
    public async Task Crud_WorksOnBothSurfaces_WithNextFireTimesInUtc(string surface)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.Client(tenant, surface);
        var flow = await CreateFlowAsync(factory, tenant);

        var created = await client.PostJsonAsync(surface + Path, new
        {
            name = "Monday summary",
            cron = "0 9 * * 1",
            time_zone = "Europe/Amsterdam",
            template_body = "Summarise #sales for <{schedule_name}> at <{fire_time}>",
            flow,
        });

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var body = await created.ReadJsonAsync();
        Assert.Equal(ResponseKeys, body.AsObject().Select(p => p.Key));
        var id = body["id"]!.GetValue<string>();
        Assert.Equal("inactive", body["status"]!.GetValue<string>());
        Assert.Equal("run_once", body["missed_fires"]!.GetValue<string>());
        Assert.False(body["requires_approval"]!.GetValue<bool>()); // a fixed flow: approved by default
        Assert.Null(body["last_fire_time"]);
        Assert.Equal(tenant.Email, body["created_by_email"]!.GetValue<string>());
        var next = body["next_fire_times"]!.AsArray().Select(t => t!.GetValue<string>()).ToList();
        Assert.Equal(3, next.Count);
        Assert.All(next, t => Assert.EndsWith("Z", t, StringComparison.Ordinal));
        var times = next.Select(t => DateTime.Parse(t, null, System.Globalization.DateTimeStyles.AdjustToUniversal)).ToList();
        Assert.All(times, t => Assert.Equal(DayOfWeek.Monday, t.DayOfWeek));
        // 09:00 in Amsterdam is 07:00 or 08:00 UTC, as daylight saving time has it.
        Assert.All(times, t => Assert.Contains(t.Hour, new[] { 7, 8 }));
        Assert.Equal(TimeSpan.FromDays(7), times[1] - times[0]);

        var read = await (await client.GetAsync($"{surface}{Path}?id={id}")).ReadJsonAsync();
        Assert.True(JsonNode.DeepEquals(body, read), read.ToJsonString());
        var list = await (await client.GetAsync($"{surface}{Path}all")).ReadJsonAsync();
        Assert.Equal(id, Assert.Single(list.AsArray())!["id"]!.GetValue<string>());

        // Dropping the flow without saying: a generated flow is never run unseen.
        var updated = await client.PutAsync(surface + Path, JsonHelpers.RawJson($$"""{"id": "{{id}}", "flow": null, "status": "active", "cron": "*/10 * * * * *", "missed_fires": "skip"}"""));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var changed = await updated.ReadJsonAsync();
        Assert.True(changed["requires_approval"]!.GetValue<bool>());
        Assert.Null(changed["flow"]);
        Assert.Equal("active", changed["status"]!.GetValue<string>());
        Assert.Equal("skip", changed["missed_fires"]!.GetValue<string>());
        Assert.Equal("Europe/Amsterdam", changed["time_zone"]!.GetValue<string>());
        var steps = changed["next_fire_times"]!.AsArray().Select(t => t!.GetValue<DateTime>()).ToList();
        Assert.All(steps.Zip(steps.Skip(1)), p => Assert.Equal(TimeSpan.FromSeconds(10), p.Second - p.First));
        Assert.All(steps, t => Assert.Equal(0, t.Second % 10));

        // Switched off again (so it does not fire), then deleted.
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync(surface + Path, JsonHelpers.RawJson($$"""{"id": "{{id}}", "status": "inactive", "requires_approval": false}"""))).StatusCode);
        var deleted = await client.DeleteAsync($"{surface}{Path}?id={id}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        var gone = await deleted.ReadJsonAsync();
        Assert.NotNull(gone["deleted_at"]);
        Assert.False(gone["requires_approval"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"{surface}{Path}?id={id}")).StatusCode);
    }

    [Fact]
    public async Task RequiresApproval_DefaultsToTrueWithoutAFlow_AndAnExplicitValueWins()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);

        var generated = await client.PostOkAsync("/api/v1" + Path, new { name = "daily", cron = "0 8 * * *", template_body = "Summarise the day <{fire_time}>" });
        var unattended = await client.PostOkAsync("/api/v1" + Path, new { name = "daily", cron = "0 8 * * *", template_body = "Summarise the day", requires_approval = false });

        Assert.True(generated["requires_approval"]!.GetValue<bool>());
        Assert.Equal("UTC", generated["time_zone"]!.GetValue<string>());
        Assert.False(unattended["requires_approval"]!.GetValue<bool>());
        var put = await client.PutAsync("/api/v1" + Path, JsonHelpers.RawJson($$"""{"id": "{{generated["id"]}}", "name": "renamed"}"""));
        Assert.True((await put.ReadJsonAsync())["requires_approval"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("""{"name": "x", "cron": "* * *", "template_body": "Run the report"}""", "body.cron", "has 5 fields")]
    [InlineData("""{"name": "x", "cron": "61 * * * *", "template_body": "Run the report"}""", "body.cron", "not a valid cron expression")]
    [InlineData("""{"name": "x", "cron": "* * * * * *", "template_body": "Run the report"}""", "body.cron", "at least 10 s apart")]
    [InlineData("""{"name": "x", "cron": "0 9 30 2 *", "template_body": "Run the report"}""", "body.cron", "")]
    [InlineData("""{"name": "x", "cron": "0 9 * * 1", "time_zone": "Mars/Olympus", "template_body": "Run the report"}""", "body.time_zone", "not a known IANA time zone")]
    [InlineData("""{"name": "x", "cron": "0 9 * * 1", "template_body": "Run the report for <{customer}>"}""", "body.template_body", "unknown placeholder 'customer'")]
    [InlineData("""{"name": "x", "cron": "0 9 * * 1", "template_body": "Run the report", "missed_fires": "all"}""", "body.missed_fires", "permitted")]
    [InlineData("""{"name": "x", "cron": "0 9 * * 1", "template_body": "Run the report", "status": "on"}""", "body.status", "permitted")]
    [InlineData("""{"name": "x", "template_body": "Run the report"}""", "body.cron", "")]
    [InlineData("""{"name": "x", "cron": 5, "template_body": "Run the report"}""", "body.cron", "")]
    [InlineData("""{"name": "x", "cron": "0 9 * * 1", "template_body": "Run the report", "requires_approval": "yes"}""", "body.requires_approval", "")]
    public async Task Create_Invalid_Is422AtTheFieldSayingWhy(string json, string location, string message)
    {
        var tenant = await factory.CreateTenantAsync();

        var response = await factory.ClientWithBearer(tenant.ApiKey).PostAsync("/api/v1" + Path, JsonHelpers.RawJson(json));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var errors = (await response.ReadJsonAsync())["errors"]!.AsArray().Select(e => e!.AsObject().Single()).ToList();
        Assert.Contains(errors, e => e.Key == location && e.Value!.GetValue<string>().Contains(message, StringComparison.Ordinal));
        Assert.Equal(0, await factory.CountAsync("SELECT count(*) FROM schedule_trigger_operations WHERE organization_id = $1", tenant.OrganizationId));
    }

    [Fact]
    public async Task Update_InvalidCronOrZoneOrNull_Is422AndChangesNothing()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var id = (await client.PostOkAsync("/api/v1" + Path, new { name = "weekly", cron = "0 9 * * 1", template_body = "Run the weekly report" }))["id"]!.GetValue<string>();

        foreach (var (body, location) in new[]
                 {
                     ($$"""{"id": "{{id}}", "cron": "*/5 * * * * *"}""", "body.cron"),
                     ($$"""{"id": "{{id}}", "time_zone": "Europe/Nowhere"}""", "body.time_zone"),
                     ($$"""{"id": "{{id}}", "cron": null}""", "body.cron"),
                     ($$"""{"id": "{{id}}", "requires_approval": null}""", "body.requires_approval"),
                     ($$"""{"id": "{{id}}", "template_body": "<{fire_time}> <{nope}>"}""", "body.template_body"),
                 })
        {
            var response = await client.PutAsync("/api/v1" + Path, JsonHelpers.RawJson(body));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Contains(location, await response.ErrorLocationsAsync());
        }
        var read = await (await client.GetAsync($"/api/v1{Path}?id={id}")).ReadJsonAsync();
        Assert.Equal("0 9 * * 1", read["cron"]!.GetValue<string>());
        Assert.Equal("UTC", read["time_zone"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnotherOrganizationsScheduleOrFlow_IsNotFound()
    {
        var owner = await factory.CreateTenantAsync();
        var stranger = await factory.CreateTenantAsync();
        var ownersFlow = await CreateFlowAsync(factory, owner);
        var id = (await factory.ClientWithBearer(owner.ApiKey).PostOkAsync("/api/v1" + Path, new { name = "weekly", cron = "0 9 * * 1", template_body = "Run the weekly report" }))["id"]!.GetValue<string>();
        var client = factory.ClientWithApiKeyHeader(stranger.ApiKey);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"{Path}?id={id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PutAsync(Path, JsonHelpers.RawJson($$"""{"id": "{{id}}", "name": "mine"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"{Path}?id={id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/trigger_runs/all?schedule_trigger_operation_id={id}")).StatusCode);
        Assert.Empty((await (await client.GetAsync($"{Path}all")).ReadJsonAsync()).AsArray());
        var withForeignFlow = await client.PostJsonAsync(Path, new { name = "x", cron = "0 9 * * 1", template_body = "Run the weekly report", flow = ownersFlow });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, withForeignFlow.StatusCode);
        Assert.Contains("body.flow", await withForeignFlow.ErrorLocationsAsync());
        var owned = await (await factory.ClientWithBearer(owner.ApiKey).GetAsync($"/api/v1{Path}?id={id}")).ReadJsonAsync();
        Assert.Equal("weekly", owned["name"]!.GetValue<string>());
    }
}
