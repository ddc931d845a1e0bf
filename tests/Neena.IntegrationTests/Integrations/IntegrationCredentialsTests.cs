using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Neena.Integrations.Credentials;
using Neena.IntegrationTests.Infrastructure;
using Neena.StandIns;
using Npgsql;

namespace Neena.IntegrationTests.Integrations;

public sealed class IntegrationCredentialsTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private static readonly string[] ResponseKeys =
    [
        "id", "integration", "integration_short_name", "name", "fields", "organization", "created_date", "modified_date",
        "created_by_email", "modified_by_email", "last_used_at", "deleted_at",
    ];

    public static TheoryData<string> Surfaces => new() { "/api/v1", "" };

    private HttpClient Client(TestTenant tenant, string surface) =>
        surface.Length == 0 ? factory.ClientWithApiKeyHeader(tenant.ApiKey) : factory.ClientWithBearer(tenant.ApiKey);

    private static async Task<JsonNode> CreateAsync(HttpClient client, string surface, object body)
    {
        var response = await client.PostJsonAsync($"{surface}/integration_credentials/", body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.ReadJsonAsync();
    }

    private static object TrelloBody(TrelloAccount account, string name = "Ada's Trello") =>
        new { integration_short_name = "trello", name, credentials = account.CredentialFields() };

    [Theory]
    [MemberData(nameof(Surfaces))]
    public async Task Create_ByShortName_AnswersFieldNamesAndNeverAValue(string surface)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = Client(tenant, surface);
        var account = factory.Trello.AddAccount();

        var response = await client.PostJsonAsync($"{surface}/integration_credentials/", TrelloBody(account));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(text)!;
        Assert.Equal(ResponseKeys, body.AsObject().Select(p => p.Key));
        Assert.Equal("trello", body["integration_short_name"]!.GetValue<string>());
        Assert.Equal(["api_key", "token", "app_secret"], body["fields"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Equal(tenant.OrganizationId.ToString(), body["organization"]!.GetValue<string>());
        Assert.Equal(tenant.Email, body["created_by_email"]!.GetValue<string>());
        Assert.Null(body["last_used_at"]);
        Assert.Null(body["deleted_at"]);
        foreach (var secret in account.CredentialFields().Values)
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);

        var id = body["id"]!.GetValue<string>();
        var read = await (await client.GetAsync($"{surface}/integration_credentials/?id={id}")).ReadJsonAsync();
        var list = await (await client.GetAsync($"{surface}/integration_credentials/all")).ReadJsonAsync();
        Assert.True(JsonNode.DeepEquals(body, read));
        Assert.Equal([id], list.AsArray().Select(c => c!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Create_ByIntegrationId_StoresASlackCredential()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var integrations = await (await client.GetAsync("/api/v1/integrations/all")).ReadJsonAsync();
        var slack = integrations.AsArray().Single(i => i!["short_name"]!.GetValue<string>() == "slack")!;

        var body = await CreateAsync(client, "/api/v1", new { integration = slack["id"]!.GetValue<string>(), name = "Workspace bot", credentials = factory.Slack.AddApp().CredentialFields() });

        Assert.Equal("slack", body["integration_short_name"]!.GetValue<string>());
        Assert.Equal(slack["id"]!.GetValue<string>(), body["integration"]!.GetValue<string>());
        Assert.Equal(["bot_token", "signing_secret"], body["fields"]!.AsArray().Select(f => f!.GetValue<string>()));
    }

    [Fact]
    public async Task Catalogue_Integrations_ShowTheCredentialFieldsTheyNeed()
    {
        var tenant = await factory.CreateTenantAsync();

        var integrations = await (await factory.ClientWithApiKeyHeader(tenant.ApiKey).GetAsync("/integrations/all")).ReadJsonAsync();

        var fields = integrations.AsArray().ToDictionary(
            i => i!["short_name"]!.GetValue<string>(),
            i => i!["credential_fields"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()).ToList());
        Assert.Equal(["api_key", "token", "app_secret"], fields["trello"]);
        Assert.Equal(["bot_token", "signing_secret"], fields["slack"]);
        Assert.Empty(fields["core"]);
        var token = integrations.AsArray().Single(i => i!["short_name"]!.GetValue<string>() == "trello")!["credential_fields"]![1]!;
        Assert.Contains("token", token["doc_string"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("""{"integration_short_name":"trello","name":"n","credentials":{"api_key":"k","app_secret":"s"}}""", "body.credentials.token")]
    [InlineData("""{"integration_short_name":"trello","name":"n","credentials":{"api_key":"k","token":"t","app_secret":"s","password":"p"}}""", "body.credentials.password")]
    [InlineData("""{"integration_short_name":"trello","name":"n","credentials":{"api_key":"","token":"t","app_secret":"s"}}""", "body.credentials.api_key")]
    [InlineData("""{"integration_short_name":"trello","name":"n","credentials":{"api_key":7,"token":"t","app_secret":"s"}}""", "body.credentials.api_key")]
    [InlineData("""{"integration_short_name":"trello","name":"n"}""", "body.credentials")]
    [InlineData("""{"integration_short_name":"trello","credentials":{"api_key":"k","token":"t","app_secret":"s"}}""", "body.name")]
    [InlineData("""{"name":"n","credentials":{"api_key":"k"}}""", "body.integration")]
    [InlineData("""{"integration_short_name":"jira","name":"n","credentials":{"api_key":"k"}}""", "body.integration_short_name")]
    [InlineData("""{"integration":"00000000-0000-0000-0000-000000000001","name":"n","credentials":{"api_key":"k"}}""", "body.integration")]
    [InlineData("""{"integration_short_name":"core","name":"n","credentials":{}}""", "body.integration_short_name")]
    public async Task Create_InvalidBody_Returns422AtTheFieldAndStoresNothing(string json, string location)
    {
        var tenant = await factory.CreateTenantAsync();

        var response = await factory.ClientWithBearer(tenant.ApiKey).PostAsync("/api/v1/integration_credentials/", JsonHelpers.RawJson(json));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(location, await response.ErrorLocationsAsync());
        await using var db = factory.CreateDbContext();
        Assert.Equal(0, await db.IntegrationCredentials.IgnoreQueryFilters().CountAsync(c => c.OrganizationId == tenant.OrganizationId));
    }

    [Fact]
    public async Task Create_IdAndShortNameOfDifferentIntegrations_Returns422()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var integrations = await (await client.GetAsync("/api/v1/integrations/all")).ReadJsonAsync();
        var slackId = integrations.AsArray().Single(i => i!["short_name"]!.GetValue<string>() == "slack")!["id"]!.GetValue<string>();

        var response = await client.PostJsonAsync("/api/v1/integration_credentials/", new
        {
            integration = slackId,
            integration_short_name = "trello",
            name = "mixed",
            credentials = factory.Trello.AddAccount().CredentialFields(),
        });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(["body.integration_short_name"], await response.ErrorLocationsAsync());
    }

    [Fact]
    public async Task Stored_EncryptedAtRestWithAKeyRingInPostgres_NoColumnHoldsASecret()
    {
        var tenant = await factory.CreateTenantAsync();
        var account = factory.Trello.AddAccount();
        var id = (await CreateAsync(factory.ClientWithBearer(tenant.ApiKey), "/api/v1", TrelloBody(account)))["id"]!.GetValue<string>();

        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        foreach (var secret in account.CredentialFields().Values)
        {
            await using var search = new NpgsqlCommand(
                "SELECT count(*) FROM integration_credentials c WHERE position($1 in (c.*)::text) > 0", connection);
            search.Parameters.AddWithValue(secret);
            Assert.Equal(0L, await search.ExecuteScalarAsync());
        }

        await using var stored = new NpgsqlCommand("SELECT protected_fields FROM integration_credentials WHERE id = $1", connection);
        stored.Parameters.AddWithValue(Guid.Parse(id));
        Assert.StartsWith("CfDJ8", (string)(await stored.ExecuteScalarAsync())!, StringComparison.Ordinal); // Data Protection's payload header
        await using var keys = new NpgsqlCommand("SELECT xml FROM data_protection_keys", connection);
        var xml = (string)(await keys.ExecuteScalarAsync())!;
        Assert.Contains("<key id=", xml, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Surfaces))]
    public async Task Delete_DestroysTheSecretMaterial_AndTheCredentialIsGone(string surface)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = Client(tenant, surface);
        var id = (await CreateAsync(client, surface, TrelloBody(factory.Trello.AddAccount())))["id"]!.GetValue<string>();

        var deleted = await client.DeleteAsync($"{surface}/integration_credentials/?id={id}");

        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        var body = await deleted.ReadJsonAsync();
        Assert.NotNull(body["deleted_at"]);
        Assert.Equal(["api_key", "token", "app_secret"], body["fields"]!.AsArray().Select(f => f!.GetValue<string>()));
        await using (var db = factory.CreateDbContext())
        {
            var row = await db.IntegrationCredentials.IgnoreQueryFilters().SingleAsync(c => c.Id == Guid.Parse(id));
            Assert.Null(row.ProtectedFields);
            Assert.NotNull(row.DeletedAt);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"{surface}/integration_credentials/?id={id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"{surface}/integration_credentials/check?id={id}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"{surface}/integration_credentials/?id={id}")).StatusCode);
        Assert.Empty((await (await client.GetAsync($"{surface}/integration_credentials/all")).ReadJsonAsync()).AsArray());
    }

    [Theory]
    [MemberData(nameof(Surfaces))]
    public async Task AnotherOrganizationsCredential_IsNotFoundOnEveryEndpoint(string surface)
    {
        var owner = await factory.CreateTenantAsync();
        var stranger = await factory.CreateTenantAsync();
        var id = (await CreateAsync(Client(owner, surface), surface, TrelloBody(factory.Trello.AddAccount())))["id"]!.GetValue<string>();
        var client = Client(stranger, surface);
        factory.Trello.ClearRequests();

        var get = await client.GetAsync($"{surface}/integration_credentials/?id={id}");
        var check = await client.PostAsync($"{surface}/integration_credentials/check?id={id}", null);
        var delete = await client.DeleteAsync($"{surface}/integration_credentials/?id={id}");
        var list = await (await client.GetAsync($"{surface}/integration_credentials/all")).ReadJsonAsync();

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, check.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        Assert.Equal("Integration credential not found", await delete.DetailAsync());
        Assert.Empty(list.AsArray());
        Assert.Empty(factory.Trello.Requests);
        await using var db = factory.CreateDbContext();
        Assert.NotNull((await db.IntegrationCredentials.IgnoreQueryFilters().SingleAsync(c => c.Id == Guid.Parse(id))).ProtectedFields);
    }

    [Theory]
    [MemberData(nameof(Surfaces))]
    public async Task Check_TrelloCredential_AsksMembersMeAndMarksItUsed(string surface)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = Client(tenant, surface);
        var account = factory.Trello.AddAccount("grace", "Grace Hopper");
        var id = (await CreateAsync(client, surface, TrelloBody(account)))["id"]!.GetValue<string>();
        factory.Trello.ClearRequests();

        var response = await client.PostAsync($"{surface}/integration_credentials/check?id={id}", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal(["ok", "detail"], body.AsObject().Select(p => p.Key));
        Assert.True(body["ok"]!.GetValue<bool>(), body["detail"]!.GetValue<string>());
        Assert.Contains("grace", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var request = Assert.Single(factory.Trello.Requests);
        Assert.Equal("GET /1/members/me", $"{request.Method} {request.Path}");
        Assert.Equal($"OAuth oauth_consumer_key=\"{account.ApiKey}\", oauth_token=\"{account.Token}\"", request.Authorization);
        var read = await (await client.GetAsync($"{surface}/integration_credentials/?id={id}")).ReadJsonAsync();
        Assert.NotNull(read["last_used_at"]);
    }

    [Fact]
    public async Task Check_SlackCredentialWithARevokedToken_AnswersOkFalseWithSlacksError()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var id = (await CreateAsync(client, "/api/v1", new
        {
            integration_short_name = "slack",
            name = "old bot",
            credentials = new { bot_token = "xoxb-1-2-revoked", signing_secret = "0123456789abcdef" },
        }))["id"]!.GetValue<string>();

        var body = await (await client.PostAsync($"/api/v1/integration_credentials/check?id={id}", null)).ReadJsonAsync();

        Assert.False(body["ok"]!.GetValue<bool>());
        Assert.Equal("Slack auth.test failed: invalid_auth", body["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Check_PlatformUnreachable_AnswersOkFalse()
    {
        await using var offline = new OfflineFactory();
        await offline.InitializeAsync();
        var tenant = await offline.CreateTenantAsync();
        var client = offline.ClientWithBearer(tenant.ApiKey);
        var id = (await CreateAsync(client, "/api/v1", new
        {
            integration_short_name = "slack",
            name = "bot",
            credentials = new { bot_token = "xoxb-1-2-3", signing_secret = "0123456789abcdef" },
        }))["id"]!.GetValue<string>();

        var body = await (await client.PostAsync($"/api/v1/integration_credentials/check?id={id}", null)).ReadJsonAsync();

        Assert.False(body["ok"]!.GetValue<bool>());
        Assert.StartsWith("Slack POST auth.test failed", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await ((IAsyncLifetime)offline).DisposeAsync();
    }

    /// <summary>What the engine will call for a task: the organization's named credential, else its newest, decrypted.</summary>
    [Fact]
    public async Task Resolver_ForAnOrganization_GivesTheNamedOrNewestLiveCredentialDecrypted()
    {
        var tenant = await factory.CreateTenantAsync();
        var stranger = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var older = factory.Trello.AddAccount("older");
        var newer = factory.Trello.AddAccount("newer");
        var olderId = Guid.Parse((await CreateAsync(client, "/api/v1", TrelloBody(older, "older")))["id"]!.GetValue<string>());
        var newerId = Guid.Parse((await CreateAsync(client, "/api/v1", TrelloBody(newer, "newer")))["id"]!.GetValue<string>());
        var deletedId = (await CreateAsync(client, "/api/v1", TrelloBody(factory.Trello.AddAccount("deleted"), "deleted")))["id"]!.GetValue<string>();
        await client.DeleteAsync($"/api/v1/integration_credentials/?id={deletedId}");
        var strangersId = Guid.Parse((await CreateAsync(factory.ClientWithBearer(stranger.ApiKey), "/api/v1", TrelloBody(factory.Trello.AddAccount())))["id"]!.GetValue<string>());
        var resolver = factory.Services.GetRequiredService<ICredentialResolver>();

        var newest = await resolver.ResolveAsync(tenant.OrganizationId, "trello", null, CancellationToken.None);
        var named = await resolver.ResolveAsync(tenant.OrganizationId, "trello", olderId, CancellationToken.None);

        Assert.Equal(newerId, newest!.Id);
        Assert.Equal(newer.Token, newest.Require("token"));
        Assert.Equal(newer.AppSecret, newest.Require("app_secret"));
        Assert.Equal(olderId, named!.Id);
        Assert.Equal(older.ApiKey, named.Require("api_key"));
        Assert.Null(await resolver.ResolveAsync(tenant.OrganizationId, "trello", Guid.Parse(deletedId), CancellationToken.None));
        Assert.Null(await resolver.ResolveAsync(tenant.OrganizationId, "trello", strangersId, CancellationToken.None));
        Assert.Null(await resolver.ResolveAsync(tenant.OrganizationId, "slack", null, CancellationToken.None));
        Assert.Null(await resolver.ResolveAsync(tenant.OrganizationId, "slack", olderId, CancellationToken.None));
        var read = await (await client.GetAsync($"/api/v1/integration_credentials/?id={newerId}")).ReadJsonAsync();
        Assert.NotNull(read["last_used_at"]);
        var accessor = CredentialAccessor.ForOrganization(resolver, stranger.OrganizationId);
        Assert.Equal(strangersId, (await accessor.GetAsync("trello", CancellationToken.None)).Id);
        Assert.Equal("No credential for integration 'slack'", (await Assert.ThrowsAsync<Neena.Integrations.TaskFailedException>(() => accessor.GetAsync("slack", CancellationToken.None))).Message);
    }

    [Fact]
    public async Task Secrets_NeverInTheServersLogs_AtAnyLevel()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var account = factory.Trello.AddAccount();
        var app = factory.Slack.AddApp();

        var trello = (await CreateAsync(client, "/api/v1", TrelloBody(account)))["id"]!.GetValue<string>();
        var slack = (await CreateAsync(client, "/api/v1", new { integration_short_name = "slack", name = "bot", credentials = app.CredentialFields() }))["id"]!.GetValue<string>();
        await client.GetAsync($"/api/v1/integration_credentials/?id={trello}");
        await client.GetAsync("/api/v1/integration_credentials/all");
        await client.PostAsync($"/api/v1/integration_credentials/check?id={trello}", null);
        await client.PostAsync($"/api/v1/integration_credentials/check?id={slack}", null);
        factory.Trello.RateLimitNext(1, 60);
        await client.PostAsync($"/api/v1/integration_credentials/check?id={trello}", null);
        await client.PostAsJsonAsyncRaw("/api/v1/integration_credentials/", $$$"""{"integration_short_name":"trello","name":"x","credentials":{"api_key":"{{{account.ApiKey}}}"}}""");
        await client.DeleteAsync($"/api/v1/integration_credentials/?id={slack}");

        var logs = factory.Logs.All;
        Assert.Contains(factory.Logs.Events, e => e.Level <= Serilog.Events.LogEventLevel.Debug);
        Assert.Contains("members/me", logs, StringComparison.Ordinal);
        foreach (var secret in account.CredentialFields().Values.Concat(app.CredentialFields().Values))
        {
            var leak = factory.Logs.Events.FirstOrDefault(e => LogEvents.Text(e).Contains(secret, StringComparison.Ordinal));
            Assert.True(leak is null, $"a secret is in the log: {(leak is null ? "" : LogEvents.Text(leak))}");
        }
    }

    [Fact]
    public async Task KeyRing_TwoServerInstances_ReadEachOthersSecrets()
    {
        var tenant = await factory.CreateTenantAsync();
        await using var second = new SecondInstanceFactory(factory);
        await second.InitializeAsync();
        var first = factory.ClientWithBearer(tenant.ApiKey);
        var other = second.ClientWithBearer(tenant.ApiKey);

        var fromFirst = (await CreateAsync(first, "/api/v1", TrelloBody(factory.Trello.AddAccount())))["id"]!.GetValue<string>();
        var fromSecond = (await CreateAsync(other, "/api/v1", new { integration_short_name = "slack", name = "bot", credentials = factory.Slack.AddApp().CredentialFields() }))["id"]!.GetValue<string>();
        var checkedBySecond = await (await other.PostAsync($"/api/v1/integration_credentials/check?id={fromFirst}", null)).ReadJsonAsync();
        var checkedByFirst = await (await first.PostAsync($"/api/v1/integration_credentials/check?id={fromSecond}", null)).ReadJsonAsync();

        Assert.True(checkedBySecond["ok"]!.GetValue<bool>(), checkedBySecond["detail"]!.GetValue<string>());
        Assert.True(checkedByFirst["ok"]!.GetValue<bool>(), checkedByFirst["detail"]!.GetValue<string>());
        await using var db = factory.CreateDbContext();
        Assert.Equal(1, await db.DataProtectionKeys.CountAsync());
    }

    [Fact]
    public async Task KeyRing_KeysRemovedFromPostgres_AFreshInstanceCannotDecrypt()
    {
        await using var isolated = new PlatformFactory();
        await isolated.InitializeAsync();
        var tenant = await isolated.CreateTenantAsync();
        var id = (await CreateAsync(isolated.ClientWithBearer(tenant.ApiKey), "/api/v1", TrelloBody(isolated.Trello.AddAccount())))["id"]!.GetValue<string>();
        await using (var db = isolated.CreateDbContext())
            await db.Database.ExecuteSqlRawAsync("DELETE FROM data_protection_keys");

        await using var fresh = new SecondInstanceFactory(isolated);
        await fresh.InitializeAsync();
        var body = await (await fresh.ClientWithBearer(tenant.ApiKey).PostAsync($"/api/v1/integration_credentials/check?id={id}", null)).ReadJsonAsync();

        // The keys live only in PostgreSQL: without them, the secret cannot be read, whatever is on this machine's disk.
        Assert.False(body["ok"]!.GetValue<bool>());
        Assert.Contains("cannot be decrypted", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await fresh.DisposeAsync();
        await ((IAsyncLifetime)isolated).DisposeAsync();
    }
}

/// <summary>The default test server: Slack and Trello are a closed local port.</summary>
public sealed class OfflineFactory : NeenaFactory
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { ["Engine:Enabled"] = "false" };
}
