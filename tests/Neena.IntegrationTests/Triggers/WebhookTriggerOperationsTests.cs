using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Neena.Integrations.Triggers;
using Neena.IntegrationTests.Infrastructure;
using Npgsql;
using static Neena.IntegrationTests.Triggers.TriggerTestSupport;

namespace Neena.IntegrationTests.Triggers;

public sealed class WebhookTriggerOperationsTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private static readonly string[] ResponseKeys =
    [
        "id", "name", "webhook_trigger_definition", "template_body", "status", "organization", "created_date", "modified_date",
        "created_by_email", "modified_by_email", "flow", "integration_credential", "webhook_url", "deleted_at", "requires_approval",
    ];

    public static TheoryData<string> BothSurfaces => Surfaces;

    private const string Path = "/webhook_trigger_operations/";

    [Theory]
    [MemberData(nameof(BothSurfaces))]
    public async Task Crud_GenericTrigger_WorksOnBothSurfaces(string surface)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.Client(tenant, surface);
        var definition = await factory.TriggerDefinitionIdAsync("core", "Incoming Webhook");
        var flow = await CreateFlowAsync(factory, tenant);

        var created = await client.PostJsonAsync(surface + Path, new { name = "Shop orders", webhook_trigger_definition = definition, template_body = "Handle this order: {{ payload }}", flow });

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var body = await created.ReadJsonAsync();
        var id = body["id"]!.GetValue<string>();
        Assert.Equal([.. ResponseKeys, "signing_secret"], body.AsObject().Select(p => p.Key));
        Assert.Equal("Shop orders", body["name"]!.GetValue<string>());
        Assert.Equal(definition.ToString(), body["webhook_trigger_definition"]!.GetValue<string>());
        Assert.Equal("inactive", body["status"]!.GetValue<string>());
        Assert.Equal(tenant.OrganizationId.ToString(), body["organization"]!.GetValue<string>());
        Assert.Equal(tenant.Email, body["created_by_email"]!.GetValue<string>());
        Assert.Equal(flow.ToString(), body["flow"]!.GetValue<string>());
        Assert.Null(body["integration_credential"]);
        Assert.Null(body["deleted_at"]);
        Assert.EndsWith("Z", body["created_date"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal($"http://localhost/webhooks/{id}", body["webhook_url"]!.GetValue<string>());
        Assert.Matches("^whsec_[0-9a-f]{64}$", body["signing_secret"]!.GetValue<string>());

        var read = await (await client.GetAsync($"{surface}{Path}?id={id}")).ReadJsonAsync();
        var expected = body.DeepClone().AsObject();
        expected.Remove("signing_secret");
        Assert.True(JsonNode.DeepEquals(expected, read), read.ToJsonString());
        var list = await (await client.GetAsync($"{surface}{Path}all")).ReadJsonAsync();
        Assert.True(JsonNode.DeepEquals(expected, Assert.Single(list.AsArray())));

        var updated = await client.PutAsync(surface + Path, JsonHelpers.RawJson($$"""{"id": "{{id}}", "status": "active", "name": "Orders", "flow": null}"""));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var changed = await updated.ReadJsonAsync();
        Assert.Equal(ResponseKeys, changed.AsObject().Select(p => p.Key));
        Assert.Equal("active", changed["status"]!.GetValue<string>());
        Assert.Equal("Orders", changed["name"]!.GetValue<string>());
        Assert.Equal("Handle this order: {{ payload }}", changed["template_body"]!.GetValue<string>()); // omitted: kept
        Assert.Null(changed["flow"]); // null: cleared
        Assert.Equal(body["webhook_url"]!.GetValue<string>(), changed["webhook_url"]!.GetValue<string>());
        Assert.Equal(body["created_date"]!.GetValue<string>(), changed["created_date"]!.GetValue<string>());

        var deleted = await client.DeleteAsync($"{surface}{Path}?id={id}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        var gone = await deleted.ReadJsonAsync();
        Assert.NotNull(gone["deleted_at"]);
        Assert.Equal(ResponseKeys, gone.AsObject().Select(p => p.Key));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"{surface}{Path}?id={id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"{surface}{Path}?id={id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PutAsync(surface + Path, JsonHelpers.RawJson($$"""{"id": "{{id}}", "name": "back"}"""))).StatusCode);
        Assert.Empty((await (await client.GetAsync($"{surface}{Path}all")).ReadJsonAsync()).AsArray());
        await using var db = factory.CreateDbContext();
        var row = await db.WebhookTriggerOperations.IgnoreQueryFilters().SingleAsync(o => o.Id == Guid.Parse(id));
        Assert.NotNull(row.DeletedAt);
        Assert.Null(row.ProtectedSigningSecret); // destroyed with the operation
    }

    [Fact]
    public async Task Create_GenericTrigger_SecretIsStoredEncryptedAndNeverShownOrLoggedAgain()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var definition = await factory.TriggerDefinitionIdAsync("core", "Incoming Webhook");

        var body = await client.PostOkAsync("/api/v1" + Path, new { name = "generic", webhook_trigger_definition = definition, template_body = "<{payload}>", status = "active" });
        var id = Guid.Parse(body["id"]!.GetValue<string>());
        var secret = body["signing_secret"]!.GetValue<string>();
        var answers = new List<string>
        {
            await (await client.GetAsync($"/api/v1{Path}?id={id}")).Content.ReadAsStringAsync(),
            await (await factory.ClientWithApiKeyHeader(tenant.ApiKey).GetAsync($"{Path}all")).Content.ReadAsStringAsync(),
            await (await client.PutAsync("/api/v1" + Path, JsonHelpers.RawJson(new JsonObject { ["id"] = id.ToString(), ["template_body"] = "{{payload}}" }.ToJsonString()))).Content.ReadAsStringAsync(),
        };

        Assert.All(answers, text => Assert.DoesNotContain(secret, text, StringComparison.Ordinal));
        Assert.All(answers, text => Assert.DoesNotContain("signing_secret", text, StringComparison.Ordinal));
        Assert.DoesNotContain(secret, factory.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(secret[6..], factory.Logs.All, StringComparison.Ordinal);
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using (var search = new NpgsqlCommand("SELECT count(*) FROM webhook_trigger_operations o WHERE position($1 in (o.*)::text) > 0", connection))
        {
            search.Parameters.AddWithValue(secret[6..]);
            Assert.Equal(0L, await search.ExecuteScalarAsync());
        }
        await using var db = factory.CreateDbContext();
        var stored = (await db.WebhookTriggerOperations.IgnoreQueryFilters().SingleAsync(o => o.Id == id)).ProtectedSigningSecret!;
        Assert.StartsWith("CfDJ8", stored, StringComparison.Ordinal); // Data Protection's payload header
        var protector = factory.Services.GetRequiredService<SigningSecretProtector>();
        Assert.Equal(secret, protector.Unprotect(tenant.OrganizationId, id, stored));
    }

    [Fact]
    public async Task Create_TwoGenericOperations_GetDifferentSecrets()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var definition = await factory.TriggerDefinitionIdAsync("core", "Incoming Webhook");

        var a = await client.PostOkAsync("/api/v1" + Path, new { name = "a", webhook_trigger_definition = definition, template_body = "x" });
        var b = await client.PostOkAsync("/api/v1" + Path, new { name = "b", webhook_trigger_definition = definition, template_body = "x" });

        Assert.NotEqual(a["signing_secret"]!.GetValue<string>(), b["signing_secret"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(BothSurfaces))]
    public async Task Create_PlatformTriggerWithItsCredential_HasNoSigningSecret(string surface)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.Client(tenant, surface);
        var definition = await factory.TriggerDefinitionIdAsync("trello", "Card Created");
        var credential = await CreateTrelloCredentialAsync(factory.ClientWithBearer(tenant.ApiKey));

        var body = await client.PostOkAsync(surface + Path, new
        {
            name = "New cards",
            webhook_trigger_definition = definition,
            template_body = "Triage card <{card_name}> in list {{list_name}} of board {{  board_id }} ({{card_id}}, <{list_id}>)",
            status = "active",
            integration_credential = credential,
        });

        Assert.Equal([.. ResponseKeys, "signing_secret"], body.AsObject().Select(p => p.Key));
        Assert.Null(body["signing_secret"]);
        Assert.Equal(credential, body["integration_credential"]!.GetValue<string>());
        Assert.Equal("active", body["status"]!.GetValue<string>());
        Assert.Null(body["flow"]);
        await using var db = factory.CreateDbContext();
        Assert.Null((await db.WebhookTriggerOperations.IgnoreQueryFilters().SingleAsync(o => o.Id == Guid.Parse(body["id"]!.GetValue<string>()))).ProtectedSigningSecret);
    }

    [Theory]
    [InlineData("""{"webhook_trigger_definition": "DEF", "template_body": "x"}""", "body.name", "field required")]
    [InlineData("""{"name": "", "webhook_trigger_definition": "DEF", "template_body": "x"}""", "body.name", "field required")]
    [InlineData("""{"name": "{long-name}", "webhook_trigger_definition": "DEF", "template_body": "x"}""", "body.name", "ensure this value has at most 200 characters")]
    [InlineData("""{"name": 12, "webhook_trigger_definition": "DEF", "template_body": "x"}""", "body.name", "str type expected")]
    [InlineData("""{"name": "n", "template_body": "x"}""", "body.webhook_trigger_definition", "field required")]
    [InlineData("""{"name": "n", "webhook_trigger_definition": "card", "template_body": "x"}""", "body.webhook_trigger_definition", "value is not a valid uuid")]
    [InlineData("""{"name": "n", "webhook_trigger_definition": "00000000-0000-0000-0000-000000000001", "template_body": "x"}""", "body.webhook_trigger_definition", "webhook trigger definition not found")]
    [InlineData("""{"name": "n", "webhook_trigger_definition": "DEF"}""", "body.template_body", "field required")]
    [InlineData("""{"name": "n", "webhook_trigger_definition": "DEF", "template_body": null}""", "body.template_body", "field required")]
    [InlineData("""{"name": "n", "webhook_trigger_definition": "DEF", "template_body": ""}""", "body.template_body", "ensure this value has at least 1 characters")]
    [InlineData("""{"name": "n", "webhook_trigger_definition": "DEF", "template_body": "{long-template}"}""", "body.template_body", "ensure this value has at most 10000 characters")]
    [InlineData("""{"name": "n", "webhook_trigger_definition": "DEF", "template_body": "Card <{card}>"}""", "body.template_body", "unknown event field 'card'; the fields of 'Card Created' are: card_id, card_name, list_name, list_id, board_id")]
    [InlineData("""{"name": "n", "webhook_trigger_definition": "DEF", "template_body": "Card {{ card.id }}"}""", "body.template_body", "unknown event field 'card.id'; the fields of 'Card Created' are: card_id, card_name, list_name, list_id, board_id")]
    [InlineData("""{"name": "n", "webhook_trigger_definition": "DEF", "template_body": "x", "status": "paused"}""", "body.status", "unexpected value; permitted: 'active', 'inactive', 'failed'")]
    [InlineData("""{"name": "n", "webhook_trigger_definition": "DEF", "template_body": "x", "flow": "00000000-0000-0000-0000-000000000001"}""", "body.flow", "flow not found")]
    [InlineData("""{"name": "n", "webhook_trigger_definition": "DEF", "template_body": "x", "integration_credential": "00000000-0000-0000-0000-000000000001"}""", "body.integration_credential", "integration credential not found")]
    [InlineData("""{"name": "n", "webhook_trigger_definition": "DEF", "template_body": "x", "integration_credential": "nope"}""", "body.integration_credential", "value is not a valid uuid")]
    public async Task Create_InvalidBody_Returns422AtTheFieldAndStoresNothing(string json, string location, string message)
    {
        var tenant = await factory.CreateTenantAsync();
        var card = await factory.TriggerDefinitionIdAsync("trello", "Card Created");
        json = json.Replace("DEF", card.ToString(), StringComparison.Ordinal)
            .Replace("{long-name}", new string('n', 201), StringComparison.Ordinal)
            .Replace("{long-template}", new string('t', 10_001), StringComparison.Ordinal);

        var response = await factory.ClientWithBearer(tenant.ApiKey).PostAsync("/api/v1" + Path, JsonHelpers.RawJson(json));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(message, await response.ErrorMessageAsync(location));
        await using var db = factory.CreateDbContext();
        Assert.Equal(0, await db.WebhookTriggerOperations.IgnoreQueryFilters().CountAsync(o => o.OrganizationId == tenant.OrganizationId));
    }

    [Fact]
    public async Task Create_SeveralUnknownPlaceholdersAndProblems_NamesEachAtItsField()
    {
        var tenant = await factory.CreateTenantAsync();
        var definition = await factory.TriggerDefinitionIdAsync("trello", "Comment Added");

        var response = await factory.ClientWithBearer(tenant.ApiKey).PostJsonAsync("/api/v1" + Path, new
        {
            name = "comments",
            webhook_trigger_definition = definition,
            template_body = "{{text}} by <{author}> on {{ board }} and <{author}> again",
            flow = Guid.NewGuid(),
        });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var errors = (await response.ReadJsonAsync())["errors"]!.AsArray().Select(e => e!.AsObject().Single()).Select(p => $"{p.Key}: {p.Value}").ToList();
        Assert.Equal(3, errors.Count);
        Assert.StartsWith("body.template_body: unknown event field 'author'", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("body.template_body: unknown event field 'board'", errors[1], StringComparison.Ordinal);
        Assert.Equal("body.flow: flow not found", errors[2]);
    }

    [Fact]
    public async Task Create_ATemplateWithoutPlaceholders_IsAccepted()
    {
        var tenant = await factory.CreateTenantAsync();
        var definition = await factory.TriggerDefinitionIdAsync("slack", "Message Posted");

        var body = await factory.ClientWithBearer(tenant.ApiKey).PostOkAsync("/api/v1" + Path, new { name = "fixed", webhook_trigger_definition = definition, template_body = "Answer the {latest} message politely. {{ }} <{ text }>" });

        Assert.Equal("Answer the {latest} message politely. {{ }} <{ text }>", body["template_body"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_CredentialOfAnotherIntegration_Returns422()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var slackCredential = await CreateSlackCredentialAsync(client);
        var card = await factory.TriggerDefinitionIdAsync("trello", "Card Created");
        var generic = await factory.TriggerDefinitionIdAsync("core", "Incoming Webhook");

        var forTrello = await client.PostJsonAsync("/api/v1" + Path, new { name = "n", webhook_trigger_definition = card, template_body = "x", integration_credential = slackCredential });
        var forGeneric = await client.PostJsonAsync("/api/v1" + Path, new { name = "n", webhook_trigger_definition = generic, template_body = "x", integration_credential = slackCredential });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, forTrello.StatusCode);
        Assert.Equal("the credential is not for integration 'trello', the trigger definition's", await forTrello.ErrorMessageAsync("body.integration_credential"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, forGeneric.StatusCode);
        Assert.Equal("the credential is not for integration 'core', the trigger definition's", await forGeneric.ErrorMessageAsync("body.integration_credential"));
    }

    [Fact]
    public async Task Create_DeletedFlowOrCredential_Returns422NotFound()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var flow = await CreateFlowAsync(factory, tenant);
        var credential = await CreateTrelloCredentialAsync(client);
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/v1/flows/?id={flow}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/v1/integration_credentials/?id={credential}")).StatusCode);
        var card = await factory.TriggerDefinitionIdAsync("trello", "Card Created");

        var response = await client.PostJsonAsync("/api/v1" + Path, new { name = "n", webhook_trigger_definition = card, template_body = "x", flow, integration_credential = credential });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("flow not found", await response.ErrorMessageAsync("body.flow"));
        Assert.Equal("integration credential not found", await response.ErrorMessageAsync("body.integration_credential"));
    }

    [Fact]
    public async Task Create_DeletedTriggerDefinition_Returns422()
    {
        var tenant = await factory.CreateTenantAsync();
        var definition = await factory.TriggerDefinitionIdAsync("trello", "Comment Added");
        await using (var db = factory.CreateDbContext())
        {
            Assert.Equal(1, await db.WebhookTriggerDefinitions.Where(d => d.Id == definition).ExecuteUpdateAsync(s => s.SetProperty(d => d.DeletedAt, DateTime.UtcNow)));
        }

        try
        {
            var response = await factory.ClientWithBearer(tenant.ApiKey).PostJsonAsync("/api/v1" + Path, new { name = "n", webhook_trigger_definition = definition, template_body = "x" });

            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal("webhook trigger definition not found", await response.ErrorMessageAsync("body.webhook_trigger_definition"));
        }
        finally
        {
            await using var db = factory.CreateDbContext();
            await db.WebhookTriggerDefinitions.IgnoreQueryFilters().Where(d => d.Id == definition).ExecuteUpdateAsync(s => s.SetProperty(d => d.DeletedAt, (DateTime?)null));
        }
    }

    [Theory]
    [InlineData("""{"id": "{id}", "template_body": "<{text}> from {{ card_id }}"}""", null, null)]
    [InlineData("""{"id": "{id}", "template_body": "<{list_name}>"}""", "body.template_body", "unknown event field 'list_name'; the fields of 'Comment Added' are: card_id, text, member, card_name, board_id")]
    [InlineData("""{"id": "{id}", "template_body": null}""", "body.template_body", "none is not an allowed value")]
    [InlineData("""{"id": "{id}", "template_body": ""}""", "body.template_body", "ensure this value has at least 1 characters")]
    [InlineData("""{"id": "{id}", "name": null}""", "body.name", "none is not an allowed value")]
    [InlineData("""{"id": "{id}", "name": ""}""", "body.name", "ensure this value has at least 1 characters")]
    [InlineData("""{"id": "{id}", "status": null}""", "body.status", "none is not an allowed value")]
    [InlineData("""{"id": "{id}", "status": "on"}""", "body.status", "unexpected value; permitted: 'active', 'inactive', 'failed'")]
    [InlineData("""{"id": "{id}", "status": "failed"}""", null, null)]
    [InlineData("""{"id": "{id}", "flow": "00000000-0000-0000-0000-000000000001"}""", "body.flow", "flow not found")]
    [InlineData("""{"id": "{id}", "integration_credential": "00000000-0000-0000-0000-000000000001"}""", "body.integration_credential", "integration credential not found")]
    [InlineData("""{"id": "{id}", "integration_credential": null}""", null, null)]
    [InlineData("""{"name": "n"}""", "body.id", "field required")]
    [InlineData("""{"id": "nope"}""", "body.id", "value is not a valid uuid")]
    public async Task Update_EachRule_IsCheckedAtItsField(string json, string? location, string? message)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var definition = await factory.TriggerDefinitionIdAsync("trello", "Comment Added");
        var created = await client.PostOkAsync("/api/v1" + Path, new { name = "comments", webhook_trigger_definition = definition, template_body = "{{text}}" });
        var id = created["id"]!.GetValue<string>();

        var response = await client.PutAsync("/api/v1" + Path, JsonHelpers.RawJson(json.Replace("{id}", id, StringComparison.Ordinal)));

        var after = await (await client.GetAsync($"/api/v1{Path}?id={id}")).ReadJsonAsync();
        if (location is null)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(JsonNode.DeepEquals(await response.ReadJsonAsync(), after));
            return;
        }
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(message, await response.ErrorMessageAsync(location));
        Assert.Equal(created["modified_date"]!.GetValue<string>(), after["modified_date"]!.GetValue<string>());
    }

    [Fact]
    public async Task Update_SetsFlowAndCredential_AndKeepsWhatIsOmitted()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var definition = await factory.TriggerDefinitionIdAsync("trello", "Card Created");
        var created = await client.PostOkAsync("/api/v1" + Path, new { name = "cards", webhook_trigger_definition = definition, template_body = "{{card_name}}", status = "active" });
        var id = created["id"]!.GetValue<string>();
        var flow = await CreateFlowAsync(factory, tenant);
        var credential = await CreateTrelloCredentialAsync(client);

        var response = await factory.ClientWithApiKeyHeader(tenant.ApiKey).PutAsync(Path, JsonHelpers.RawJson($$"""{"id": "{{id}}", "flow": "{{flow}}", "integration_credential": "{{credential}}"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal(flow.ToString(), body["flow"]!.GetValue<string>());
        Assert.Equal(credential, body["integration_credential"]!.GetValue<string>());
        Assert.Equal("cards", body["name"]!.GetValue<string>());
        Assert.Equal("{{card_name}}", body["template_body"]!.GetValue<string>());
        Assert.Equal("active", body["status"]!.GetValue<string>());
        Assert.Equal(definition.ToString(), body["webhook_trigger_definition"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(BothSurfaces))]
    public async Task Endpoints_AnotherOrganizationsIds_Return404OrAreRefusedLikeMissingOnes(string surface)
    {
        var owner = await factory.CreateTenantAsync();
        var stranger = await factory.CreateTenantAsync();
        var ownerClient = factory.ClientWithBearer(owner.ApiKey);
        var definition = await factory.TriggerDefinitionIdAsync("trello", "Card Created");
        var ownersFlow = await CreateFlowAsync(factory, owner);
        var ownersCredential = await CreateTrelloCredentialAsync(ownerClient);
        var id = (await ownerClient.PostOkAsync("/api/v1" + Path, new { name = "owner's", webhook_trigger_definition = definition, template_body = "{{card_name}}", flow = ownersFlow, integration_credential = ownersCredential }))["id"]!.GetValue<string>();
        var client = factory.Client(stranger, surface);
        var strangersOwn = (await client.PostOkAsync(surface + Path, new { name = "stranger's", webhook_trigger_definition = definition, template_body = "{{card_id}}" }))["id"]!.GetValue<string>();

        var get = await client.GetAsync($"{surface}{Path}?id={id}");
        var put = await client.PutAsync(surface + Path, JsonHelpers.RawJson($$"""{"id": "{{id}}", "status": "active"}"""));
        var delete = await client.DeleteAsync($"{surface}{Path}?id={id}");
        var list = await (await client.GetAsync($"{surface}{Path}all?webhook_trigger_definition_id={definition}")).ReadJsonAsync();
        var postForeign = await client.PostJsonAsync(surface + Path, new { name = "n", webhook_trigger_definition = definition, template_body = "x", flow = ownersFlow, integration_credential = ownersCredential });
        var postMissing = await client.PostJsonAsync(surface + Path, new { name = "n", webhook_trigger_definition = definition, template_body = "x", flow = Guid.NewGuid(), integration_credential = Guid.NewGuid() });
        var putForeign = await client.PutAsync(surface + Path, JsonHelpers.RawJson($$"""{"id": "{{strangersOwn}}", "flow": "{{ownersFlow}}", "integration_credential": "{{ownersCredential}}"}"""));

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("Webhook trigger operation not found", await get.DetailAsync());
        Assert.Equal(HttpStatusCode.NotFound, put.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        Assert.Equal([strangersOwn], list.AsArray().Select(o => o!["id"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, postForeign.StatusCode);
        Assert.Equal(await postMissing.Content.ReadAsStringAsync(), await postForeign.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, putForeign.StatusCode);
        Assert.Equal(["body.flow", "body.integration_credential"], await putForeign.ErrorLocationsAsync());
        var untouched = await (await ownerClient.GetAsync($"/api/v1{Path}?id={id}")).ReadJsonAsync();
        Assert.Equal("inactive", untouched["status"]!.GetValue<string>());
        Assert.Null(untouched["deleted_at"]);
        var strangers = await (await client.GetAsync($"{surface}{Path}?id={strangersOwn}")).ReadJsonAsync();
        Assert.Null(strangers["flow"]);
        Assert.Null(strangers["integration_credential"]);
    }

    [Fact]
    public async Task ReadOnlyKey_CanReadButNotWrite()
    {
        var tenant = await factory.CreateTenantAsync();
        var id = await CreateGenericOperationAsync(factory, tenant);
        var readKey = (await factory.ClientWithBearer(tenant.ApiKey).PostOkAsync("/api/v1/api_keys/", new { name = "reader", permissions = new[] { "read" } }))["key"]!.GetValue<string>();
        var reader = tenant with { ApiKey = readKey };
        var definition = await factory.TriggerDefinitionIdAsync("core", "Incoming Webhook");

        foreach (var surface in new[] { "/api/v1", "" })
        {
            var client = factory.Client(reader, surface);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{surface}{Path}?id={id}")).StatusCode);
            Assert.Single((await (await client.GetAsync($"{surface}{Path}all")).ReadJsonAsync()).AsArray());
            var writes = new[]
            {
                await client.PostJsonAsync(surface + Path, new { name = "n", webhook_trigger_definition = definition, template_body = "x" }),
                await client.PutAsync(surface + Path, JsonHelpers.RawJson($$"""{"id": "{{id}}", "status": "active"}""")),
                await client.DeleteAsync($"{surface}{Path}?id={id}"),
            };
            foreach (var write in writes)
            {
                Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
                Assert.Equal("Missing \"write\" permission", await write.DetailAsync());
            }
        }
        await using var check = factory.CreateDbContext();
        Assert.Equal(1, await check.WebhookTriggerOperations.IgnoreQueryFilters().CountAsync(o => o.OrganizationId == tenant.OrganizationId && o.DeletedAt == null && o.Status == "inactive"));
    }

    [Fact]
    public async Task List_PagingAndDefinitionFilter_NewestFirstAndStable()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        var generic = await factory.TriggerDefinitionIdAsync("core", "Incoming Webhook");
        var card = await factory.TriggerDefinitionIdAsync("trello", "Card Created");
        for (var i = 0; i < 5; i++)
            await client.PostOkAsync("/api/v1" + Path, new { name = $"op {i}", webhook_trigger_definition = i % 2 == 0 ? generic : card, template_body = "x" });

        var first = await (await client.GetAsync($"/api/v1{Path}all?limit=2")).ReadJsonAsync();
        var second = await (await client.GetAsync($"/api/v1{Path}all?skip=2&limit=2")).ReadJsonAsync();
        var cards = await (await client.GetAsync($"{Path}all?webhook_trigger_definition_id={card}")).ReadJsonAsync();
        var unknown = await (await client.GetAsync($"{Path}all?webhook_trigger_definition_id={Guid.NewGuid()}")).ReadJsonAsync();

        Assert.Equal(["op 4", "op 3"], first.AsArray().Select(o => o!["name"]!.GetValue<string>()));
        Assert.Equal(["op 2", "op 1"], second.AsArray().Select(o => o!["name"]!.GetValue<string>()));
        Assert.Equal(["op 3", "op 1"], cards.AsArray().Select(o => o!["name"]!.GetValue<string>()));
        Assert.Empty(unknown.AsArray());
        Assert.All(first.AsArray(), o => Assert.False(o!.AsObject().ContainsKey("signing_secret")));
        var badLimit = await client.GetAsync($"/api/v1{Path}all?limit=1001");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badLimit.StatusCode);
        Assert.Equal(["query.limit"], await badLimit.ErrorLocationsAsync());
        var badFilter = await client.GetAsync($"/api/v1{Path}all?webhook_trigger_definition_id=nope");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badFilter.StatusCode);
        Assert.Equal("value is not a valid uuid", await badFilter.ErrorMessageAsync("query.webhook_trigger_definition_id"));
    }

    [Fact]
    public async Task Get_MissingOrMalformedId_Returns422AndUnknownId404()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);

        var missing = await client.GetAsync("/api/v1" + Path);
        var malformed = await client.DeleteAsync($"/api/v1{Path}?id=12");
        var unknown = await client.GetAsync($"/api/v1{Path}?id={Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.StatusCode);
        Assert.Equal("field required", await missing.ErrorMessageAsync("query.id"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, malformed.StatusCode);
        Assert.Equal("value is not a valid uuid", await malformed.ErrorMessageAsync("query.id"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("Webhook trigger operation not found", await unknown.DetailAsync());
    }

    [Fact]
    public async Task WebhookUrl_PublicBaseUrlConfigured_IsUsedInEveryAnswer()
    {
        await using var configured = factory.WithWebHostBuilder(b => b.UseSetting("Webhooks:PublicBaseUrl", "https://hooks.example.com/neena/"));
        var tenant = await factory.CreateTenantAsync();
        var client = configured.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", tenant.ApiKey);
        var definition = await factory.TriggerDefinitionIdAsync("core", "Incoming Webhook");

        var body = await client.PostOkAsync("/api/v1" + Path, new { name = "n", webhook_trigger_definition = definition, template_body = "x" });
        var id = body["id"]!.GetValue<string>();
        var read = await (await client.GetAsync($"{Path}?id={id}")).ReadJsonAsync();

        Assert.Equal($"https://hooks.example.com/neena/webhooks/{id}", body["webhook_url"]!.GetValue<string>());
        Assert.Equal($"https://hooks.example.com/neena/webhooks/{id}", read["webhook_url"]!.GetValue<string>());
    }

    [Fact]
    public async Task WebhookUrl_NoPublicBaseUrl_FollowsTheRequestsSchemeHostAndPathBase()
    {
        var tenant = await factory.CreateTenantAsync();
        var id = await CreateGenericOperationAsync(factory, tenant);
        var client = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://neena.internal:8443/") });
        client.DefaultRequestHeaders.Authorization = new("Bearer", tenant.ApiKey);

        var read = await (await client.GetAsync($"/api/v1{Path}?id={id}")).ReadJsonAsync();

        Assert.Equal($"https://neena.internal:8443/webhooks/{id}", read["webhook_url"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("ftp://hooks.example.com")]
    [InlineData("hooks.example.com")]
    [InlineData("https://hooks.example.com/?x=1")]
    public void Startup_InvalidPublicBaseUrl_IsRefused(string value)
    {
        using var configured = factory.WithWebHostBuilder(b => b.UseSetting("Webhooks:PublicBaseUrl", value));

        var error = Assert.ThrowsAny<Exception>(() => configured.CreateClient());

        Assert.Contains("Webhooks:PublicBaseUrl", error.ToString(), StringComparison.Ordinal);
    }
}
