using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Neena.IntegrationTests.Infrastructure;
using Neena.IntegrationTests.Triggers;
using static Neena.IntegrationTests.Triggers.TriggerTestSupport;

namespace Neena.IntegrationTests.Notifications;

/// <summary>
/// Notification subscriptions (contract §11) through HTTP on both surfaces: the secret is shown once, URLs pass the HTTP
/// task's address guard, events are checked, and another organization's subscription is not found.
/// </summary>
public sealed partial class NotificationTests(NotificationFactory factory) : IClassFixture<NotificationFactory>, IAsyncLifetime
{
    private NotificationReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await NotificationReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private static async Task<JsonNode> OkAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.ReadJsonAsync();
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, string location)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, $"{(int)response.StatusCode}: {text}");
        Assert.True(JsonNode.Parse(text)!["errors"]!.AsArray().Any(e => e!.AsObject().ContainsKey(location)), text);
    }

    private async Task<(string Id, string Secret)> SubscribeAsync(HttpClient client, string path, string[] events, string surface = "/api/v1")
    {
        var created = await OkAsync(await client.PostAsJsonAsync($"{surface}/notification_subscriptions/", new { url = _receiver.Url(path), events }));
        return (created["id"]!.GetValue<string>(), created["secret"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Surfaces), MemberType = typeof(TriggerTestSupport))]
    public async Task Crud_OnBothSurfaces_ShowsTheSecretOnlyInTheCreateAnswer(string surface)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.Client(tenant, surface);
        var path = $"{surface}/notification_subscriptions";

        var created = await OkAsync(await client.PostAsJsonAsync(path + "/", new
        {
            url = _receiver.Url("/crud"),
            events = new[] { "run.completed", "run.failed", "run.completed" },
            description = "ops channel",
        }));
        var id = created["id"]!.GetValue<string>();
        var secret = created["secret"]!.GetValue<string>();
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        Assert.Equal(["run.completed", "run.failed"], created["events"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.True(created["active"]!.GetValue<bool>());
        Assert.Equal("ops channel", created["description"]!.GetValue<string>());
        Assert.NotNull(created["created_date"]);

        var answers = new List<string>
        {
            await (await client.GetAsync($"{path}/?id={id}")).Content.ReadAsStringAsync(),
            await (await client.GetAsync($"{path}/all")).Content.ReadAsStringAsync(),
        };
        var updated = await OkAsync(await client.PutAsJsonAsync(path + "/", new { id, events = new[] { "run.awaiting_approval" }, active = false, description = (string?)null }));
        Assert.Equal(["run.awaiting_approval"], updated["events"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.False(updated["active"]!.GetValue<bool>());
        Assert.Null(updated["description"]);
        Assert.Equal(_receiver.Url("/crud"), updated["url"]!.GetValue<string>());
        answers.Add(updated.ToJsonString());
        var ping = await OkAsync(await client.PostAsync($"{path}/test?id={id}", null));
        answers.Add(ping.ToJsonString());
        answers.Add(await (await client.GetAsync($"{path}/deliveries?subscription_id={id}")).Content.ReadAsStringAsync());
        var deleted = await OkAsync(await client.DeleteAsync($"{path}/?id={id}"));
        Assert.NotNull(deleted["deleted_at"]);
        answers.Add(deleted.ToJsonString());

        Assert.All(answers, a => Assert.DoesNotContain(secret["whsec_".Length..], a, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"{path}/?id={id}")).StatusCode);
        Assert.DoesNotContain(id, await (await client.GetAsync($"{path}/all")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret["whsec_".Length..], factory.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrivateAddresses_Are422_UnlessTheHttpTaskSettingsAllowThem()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        foreach (var url in new[] { "http://10.1.2.3/hook", "http://169.254.169.254/latest", "http://[::1]:8080/x", "http://192.168.0.10/", "ftp://example.com/x", "/relative", "http://user:pw@127.0.0.1/x" })
            await AssertProblemAsync(await client.PostAsJsonAsync("/api/v1/notification_subscriptions/", new { url, events = new[] { "run.failed" } }), "body.url");

        // 127.0.0.1/32 is in this server's Integrations:Http:AllowedNetworks, as it would be for the HTTP task.
        var (id, _) = await SubscribeAsync(client, "/allowed", ["run.failed"]);
        await AssertProblemAsync(await client.PutAsJsonAsync("/api/v1/notification_subscriptions/", new { id, url = "http://10.0.0.7/hook" }), "body.url");
        Assert.Equal(_receiver.Url("/allowed"), (await OkAsync(await client.GetAsync($"/api/v1/notification_subscriptions/?id={id}")))["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task BadEventsAndHostileInput_Are422AtTheField_Never500()
    {
        var client = factory.ClientWithBearer((await factory.CreateTenantAsync()).ApiKey);
        const string path = "/api/v1/notification_subscriptions/";
        var url = _receiver.Url("/bad");
        await AssertProblemAsync(await client.PostAsJsonAsync(path, new { url, events = new[] { "run.exploded" } }), "body.events.0");
        await AssertProblemAsync(await client.PostAsJsonAsync(path, new { url, events = Array.Empty<string>() }), "body.events");
        await AssertProblemAsync(await client.PostAsJsonAsync(path, new { url, events = new[] { "ping" } }), "body.events.0");
        await AssertProblemAsync(await client.PostAsJsonAsync(path, new { url }), "body.events");
        await AssertProblemAsync(await client.PostAsJsonAsync(path, new { events = new[] { "run.failed" } }), "body.url");
        await AssertProblemAsync(await client.PostAsJsonAsync(path, new { url, events = new[] { "run.failed" }, description = new string('x', 1001) }), "body.description");
        await AssertProblemAsync(await client.PostAsJsonAsync(path, new { url = url + new string('a', 2048), events = new[] { "run.failed" } }), "body.url");
        foreach (var body in new[] { """{"url": "http://127.0.0.1/\u0000", "events": ["run.failed"]}""", """{"url": 5, "events": "run.failed"}""", """{"url": "http://127.0.0.1/", "events": [null]}""", "{", """{"url": "http://ex\ud800.com/", "events": ["run.failed"]}""" })
        {
            var response = await client.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, $"{body}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        var (id, _) = await SubscribeAsync(client, "/bad", ["run.failed"]);
        await AssertProblemAsync(await client.PutAsJsonAsync(path, new { id, events = new[] { "nope" } }), "body.events.0");
        await AssertProblemAsync(await client.PutAsJsonAsync(path, new { id, url = (string?)null }), "body.url");
        await AssertProblemAsync(await client.GetAsync("/api/v1/notification_subscriptions/deliveries"), "query.subscription_id");
        await AssertProblemAsync(await client.GetAsync($"/api/v1/notification_subscriptions/deliveries?subscription_id={id}&limit=1001"), "query.limit");
    }

    [Fact]
    public async Task AnotherOrganizationsSubscription_IsNotFound_OnEveryEndpoint()
    {
        var owner = factory.ClientWithBearer((await factory.CreateTenantAsync()).ApiKey);
        var other = factory.ClientWithBearer((await factory.CreateTenantAsync()).ApiKey);
        var (id, _) = await SubscribeAsync(owner, "/owned", ["run.failed"]);
        const string path = "/api/v1/notification_subscriptions";

        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"{path}/?id={id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PutAsJsonAsync(path + "/", new { id, active = false })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"{path}/deliveries?subscription_id={id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync($"{path}/test?id={id}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.DeleteAsync($"{path}/?id={id}")).StatusCode);
        Assert.DoesNotContain(id, await (await other.GetAsync($"{path}/all")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True((await OkAsync(await owner.GetAsync($"{path}/?id={id}")))["active"]!.GetValue<bool>());
    }
}
