using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Neena.Domain.Triggers;
using Neena.IntegrationTests.Infrastructure;
using Neena.StandIns;
using static Neena.IntegrationTests.Engine.EngineTestSupport;
using static Neena.IntegrationTests.Triggers.WebhookTestSupport;

namespace Neena.IntegrationTests.Triggers;

/// <summary>
/// <c>POST /webhooks/{operation_id}</c> as each platform calls it, with the processor off so that what the receiver stored
/// is seen as it stored it: authentic deliveries are stored once before the answer; refusals store nothing.
/// </summary>
public sealed class WebhookReceiverTests(ReceiverOnlyFactory factory) : IClassFixture<ReceiverOnlyFactory>
{
    private const string Secret = "whsec_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private async Task<(HttpClient Client, TestTenant Tenant, Guid Operation)> GenericAsync(string status = TriggerOperationStatus.Active)
    {
        var (client, tenant) = await ClientAsync(factory);
        var operation = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", "Handle the order <{payload}>", status: status, signingSecret: Secret);
        return (client, tenant, operation);
    }

    /// <summary>A client without any Neena credential: platforms have none.</summary>
    private HttpClient Platform() => factory.CreateClient();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Generic_SignedDelivery_Answers202AfterStoringTheTriggerRun(bool v1)
    {
        var (_, tenant, operation) = await GenericAsync();
        const string body = """{"order_id": "A-1042", "customer": {"name": "Acme"}, "total": 129.5}""";

        var response = await Platform().SendAsync(PlatformWebhooks.Neena(Path(operation, v1), body, Secret));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = await response.ReadJsonAsync();
        Assert.Equal("received", answer["status"]!.GetValue<string>());
        Assert.Null(answer["challenge"]);
        var stored = await factory.TriggerRunAsync(Guid.Parse(answer["trigger_run_id"]!.GetValue<string>()));
        Assert.Equal(TriggerRunStatus.Received, stored.Status);
        Assert.Equal(operation, stored.WebhookTriggerOperationId);
        Assert.Equal(tenant.OrganizationId, stored.OrganizationId);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(body), stored.Event));
        Assert.Null(stored.DeliveryId);
        Assert.Null(stored.IntegrationEntityId);
        Assert.Equal(0, stored.Attempts);
    }

    [Theory]
    [InlineData("/webhooks/{operation_id}")]
    [InlineData("/api/v1/webhooks/{operation_id}")]
    public async Task Generic_TheDocumentsExampleSignedAsDocumented_IsAccepted(string path)
    {
        var (_, _, operation) = await GenericAsync();
        var doc = await (await Platform().GetAsync("/swagger/v1/swagger.json")).ReadJsonAsync();
        var example = doc["paths"]![path]!["post"]!["requestBody"]!["content"]!["application/json"]!["example"]!.ToJsonString();

        var response = await Platform().SendAsync(PlatformWebhooks.Neena(path.Replace("{operation_id}", operation.ToString(), StringComparison.Ordinal), example, Secret));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Generic_WithACredentialHeaderThatIsInvalid_IsStillJudgedByItsSignatureOnly()
    {
        var (_, _, operation) = await GenericAsync();
        var request = PlatformWebhooks.Neena(Path(operation), "{\"a\": 1}", Secret);
        request.Headers.Add("api_key", "not-a-key");

        var response = await Platform().SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    public static TheoryData<string, string> BadGenericDeliveries => new()
    {
        { "wrong secret", "Invalid signature" },
        { "tampered body", "Invalid signature" },
        { "stale timestamp", "X-Neena-Timestamp is more than 5 minutes away from the server's time" },
        { "future timestamp", "X-Neena-Timestamp is more than 5 minutes away from the server's time" },
        { "no signature", "Missing X-Neena-Signature header" },
        { "no timestamp", "Missing X-Neena-Timestamp header" },
        { "timestamp not a number", "X-Neena-Timestamp must be a unix time in seconds" },
        { "signature twice", "Missing X-Neena-Signature header" },
    };

    [Theory]
    [MemberData(nameof(BadGenericDeliveries))]
    public async Task Generic_BadOrMissingSignature_Answers401AndStoresNothing(string kind, string detail)
    {
        var (_, tenant, operation) = await GenericAsync();
        const string body = "{\"order_id\": \"A-1042\"}";
        var request = kind switch
        {
            "wrong secret" => PlatformWebhooks.Neena(Path(operation), body, Secret + "x"),
            "stale timestamp" => PlatformWebhooks.Neena(Path(operation), body, Secret, DateTimeOffset.UtcNow.AddMinutes(-6)),
            "future timestamp" => PlatformWebhooks.Neena(Path(operation), body, Secret, DateTimeOffset.UtcNow.AddMinutes(6)),
            _ => PlatformWebhooks.Neena(Path(operation), body, Secret),
        };
        switch (kind)
        {
            case "tampered body":
                request.Content = JsonHelpers.RawJson("{\"order_id\": \"A-1043\"}");
                break;
            case "no signature":
                request.Headers.Remove("X-Neena-Signature");
                break;
            case "no timestamp":
                request.Headers.Remove("X-Neena-Timestamp");
                break;
            case "timestamp not a number":
                request.Headers.Remove("X-Neena-Timestamp");
                request.Headers.Add("X-Neena-Timestamp", "yesterday");
                break;
            case "signature twice":
                request.Headers.Add("X-Neena-Signature", "sha256=00");
                break;
            default:
                break;
        }

        var response = await Platform().SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(detail, await response.DetailAsync());
        Assert.Equal((0, 0, 0), await factory.RowsAsync(tenant));
    }

    [Fact]
    public async Task Generic_OperationWithoutASecret_Answers401()
    {
        var (_, tenant) = await ClientAsync(factory);
        var operation = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", "Handle the order <{payload}>");

        var response = await Platform().SendAsync(PlatformWebhooks.Neena(Path(operation), "{}", Secret));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("No signing secret is available for this operation", await response.DetailAsync());
        Assert.Equal(0, (await factory.RowsAsync(tenant)).TriggerRuns);
    }

    [Fact]
    public async Task Generic_SameDeliveryIdAgain_Answers200WithTheFirstTriggerRunAndStoresOne()
    {
        var (_, tenant, operation) = await GenericAsync();

        var first = await Platform().SendAsync(PlatformWebhooks.Neena(Path(operation), "{\"n\": 1}", Secret, deliveryId: "evt-1"));
        var again = await Platform().SendAsync(PlatformWebhooks.Neena(Path(operation), "{\"n\": 1}", Secret, deliveryId: "evt-1"));
        var other = await Platform().SendAsync(PlatformWebhooks.Neena(Path(operation), "{\"n\": 2}", Secret, deliveryId: "evt-2"));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var repeat = await again.ReadJsonAsync();
        Assert.Equal("duplicate", repeat["status"]!.GetValue<string>());
        Assert.Equal(await TriggerRunIdAsync(first), Guid.Parse(repeat["trigger_run_id"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
        Assert.Equal(2, (await factory.RowsAsync(tenant)).TriggerRuns);
        Assert.Equal("evt-1", (await factory.TriggerRunAsync(await TriggerRunIdAsync(first))).DeliveryId);
    }

    [Fact]
    public async Task Generic_SameDeliveryIdConcurrently_StoresOneTriggerRunAndEveryAnswerNamesIt()
    {
        var (_, tenant, operation) = await GenericAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ =>
            Platform().SendAsync(PlatformWebhooks.Neena(Path(operation), "{\"n\": 1}", Secret, deliveryId: "race"))));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK));
        var ids = await Task.WhenAll(responses.Select(TriggerRunIdAsync));
        Assert.Single(ids.Distinct());
        Assert.Equal(1, (await factory.RowsAsync(tenant)).TriggerRuns);
    }

    [Fact]
    public async Task Generic_DeliveryIdTooLong_Answers422AtTheHeader()
    {
        var (_, tenant, operation) = await GenericAsync();

        var response = await Platform().SendAsync(PlatformWebhooks.Neena(Path(operation), "{}", Secret, deliveryId: new string('d', 256)));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(["header.X-Neena-Delivery"], await response.ErrorLocationsAsync());
        Assert.Equal(0, (await factory.RowsAsync(tenant)).TriggerRuns);
    }

    [Theory]
    [InlineData("{\"order\": ", "body")]
    [InlineData("{\"text\": \"a\\u0000b\"}", "body.text")]
    [InlineData("{\"deep\": [{\"bad\": \"\\ud800\"}]}", "body.deep.0.bad")]
    [InlineData("{\"total\": 1e400}", "body.total")]
    [InlineData("{\"a\": 1, \"a\": 2}", "body.a")]
    [InlineData("", "body")]
    public async Task Generic_SignedBodyThatCannotBeStored_Answers422AndStoresNothing(string body, string location)
    {
        var (_, tenant, operation) = await GenericAsync();

        var response = await Platform().SendAsync(PlatformWebhooks.Neena(Path(operation), body, Secret));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal([location], await response.ErrorLocationsAsync());
        Assert.Equal(0, (await factory.RowsAsync(tenant)).TriggerRuns);
    }

    [Fact]
    public async Task Generic_BodyOverOneMebibyte_Answers413()
    {
        var (_, tenant, operation) = await GenericAsync();
        var big = "{\"blob\": \"" + new string('x', 1024 * 1024) + "\"}";

        var response = await Platform().SendAsync(PlatformWebhooks.Neena(Path(operation), big, Secret));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.NotNull(await response.DetailAsync());
        Assert.Equal(0, (await factory.RowsAsync(tenant)).TriggerRuns);
    }

    [Fact]
    public async Task Post_UnknownInactiveDeletedOrMalformedOperation_Answers404AndStoresNothing()
    {
        var (_, tenant, active) = await GenericAsync();
        var inactive = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", "Handle the order <{payload}>", status: TriggerOperationStatus.Inactive, signingSecret: Secret);
        var failed = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", "Handle the order <{payload}>", status: TriggerOperationStatus.Failed, signingSecret: Secret);
        var (_, stranger) = await ClientAsync(factory);
        var strangersDeleted = await factory.CreateOperationAsync(stranger, "core", "Incoming Webhook", "Handle the order <{payload}>", signingSecret: Secret);
        await using (var db = factory.CreateDbContext(stranger.OrganizationId))
        {
            var row = await db.WebhookTriggerOperations.SingleAsync(o => o.Id == strangersDeleted);
            row.DeletedAt = DateTime.UtcNow;
            await db.SaveChangesAsync();
        }

        foreach (var path in new[] { Path(Guid.NewGuid()), Path(inactive), Path(failed), Path(strangersDeleted), Path(strangersDeleted, v1: true), "/webhooks/not-a-uuid" })
        {
            var response = await Platform().SendAsync(PlatformWebhooks.Neena(path, "{}", Secret));

            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode} (inactive {inactive}, failed {failed}, deleted {strangersDeleted})");
            Assert.Equal("Webhook trigger operation not found", await response.DetailAsync());
        }
        Assert.Equal(0, (await factory.RowsAsync(tenant)).TriggerRuns);
        Assert.Equal(0, (await factory.RowsAsync(stranger)).TriggerRuns);
        Assert.Equal(HttpStatusCode.Accepted, (await Platform().SendAsync(PlatformWebhooks.Neena(Path(active), "{}", Secret))).StatusCode);
    }

    private async Task<(TestTenant Tenant, SlackApp App, Guid Operation)> SlackAsync()
    {
        var (client, tenant) = await ClientAsync(factory);
        var app = factory.Slack.AddApp();
        await StoreCredentialAsync(client, "slack", app.CredentialFields());
        var operation = await factory.CreateOperationAsync(tenant, "slack", "Message Posted", "Answer <{user}> in <{channel}>: {{text}}");
        return (tenant, app, operation);
    }

    [Fact]
    public async Task Slack_UrlVerification_AnswersTheChallengeAndStoresNothing()
    {
        var (tenant, app, operation) = await SlackAsync();

        var response = await Platform().SendAsync(PlatformWebhooks.Slack(Path(operation), PlatformWebhooks.SlackUrlVerification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"), app.SigningSecret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadJsonAsync();
        Assert.Equal("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", answer["challenge"]!.GetValue<string>());
        Assert.Null(answer["trigger_run_id"]);
        Assert.Equal(0, (await factory.RowsAsync(tenant)).TriggerRuns);
    }

    [Fact]
    public async Task Slack_UrlVerificationSignedWithAnotherSecret_Answers401()
    {
        var (tenant, _, operation) = await SlackAsync();

        var response = await Platform().SendAsync(PlatformWebhooks.Slack(Path(operation), PlatformWebhooks.SlackUrlVerification("challenge"), "not-the-signing-secret"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Invalid signature", await response.DetailAsync());
        Assert.DoesNotContain("challenge", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, (await factory.RowsAsync(tenant)).TriggerRuns);
    }

    [Fact]
    public async Task Slack_MessageEvent_IsStoredUnderItsEventIdWithTheMessageTsAsEntity()
    {
        var (_, app, operation) = await SlackAsync();
        var payload = PlatformWebhooks.SlackEventCallback("Ev08MFMKH6", PlatformWebhooks.SlackMessage("C123ABC456", "U061F7AUR", "Can someone review PR 42?", "1733307330.000200"));

        var response = await Platform().SendAsync(PlatformWebhooks.Slack(Path(operation), payload, app.SigningSecret));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var stored = await factory.TriggerRunAsync(await TriggerRunIdAsync(response));
        Assert.Equal("Ev08MFMKH6", stored.DeliveryId);
        Assert.Equal("1733307330.000200", stored.IntegrationEntityId);

        var retry = await Platform().SendAsync(PlatformWebhooks.Slack(Path(operation), payload, app.SigningSecret));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(stored.Id, await TriggerRunIdAsync(retry));
    }

    public static TheoryData<string> IgnoredSlackEvents => new()
    {
        """{"type": "reaction_added", "user": "U061F7AUR", "reaction": "thumbsup", "item": {"type": "message", "channel": "C123ABC456", "ts": "1733307330.000200"}, "event_ts": "1733307331.000300"}""",
        """{"type": "message", "subtype": "message_changed", "channel": "C123ABC456", "hidden": true, "ts": "1733307332.000400", "message": {"type": "message", "user": "U061F7AUR", "text": "edited"}}""",
        """{"type": "message", "channel": "C123ABC456", "user": "U0BOT", "bot_id": "B0BOT", "text": "An answer the flow posted", "ts": "1733307333.000500"}""",
    };

    [Theory]
    [MemberData(nameof(IgnoredSlackEvents))]
    public async Task Slack_EventTheTriggerIsNotFor_Answers200AndStoresNothing(string slackEvent)
    {
        var (tenant, app, operation) = await SlackAsync();
        var payload = PlatformWebhooks.SlackEventCallback("Ev" + Guid.NewGuid().ToString("N")[..8], Json(slackEvent));

        var response = await Platform().SendAsync(PlatformWebhooks.Slack(Path(operation), payload, app.SigningSecret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ignored", (await response.ReadJsonAsync())["status"]!.GetValue<string>());
        Assert.Equal(0, (await factory.RowsAsync(tenant)).TriggerRuns);
    }

    [Theory]
    [InlineData("wrong secret")]
    [InlineData("stale")]
    [InlineData("v1 scheme")]
    public async Task Slack_BadSignature_Answers401AndStoresNothing(string kind)
    {
        var (tenant, app, operation) = await SlackAsync();
        var payload = PlatformWebhooks.SlackEventCallback("Ev1", PlatformWebhooks.SlackMessage("C1", "U1", "hello there", "1.2"));
        var request = PlatformWebhooks.Slack(Path(operation), payload, kind == "wrong secret" ? "x" + app.SigningSecret : app.SigningSecret,
            kind == "stale" ? DateTimeOffset.UtcNow.AddMinutes(-10) : null);
        if (kind == "v1 scheme")
        {
            var signature = request.Headers.GetValues("X-Slack-Signature").Single();
            request.Headers.Remove("X-Slack-Signature");
            request.Headers.Add("X-Slack-Signature", "v1=" + signature[3..]);
        }

        var response = await Platform().SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, (await factory.RowsAsync(tenant)).TriggerRuns);
    }

    [Fact]
    public async Task Slack_WithoutAStoredCredential_Answers401()
    {
        var (_, tenant) = await ClientAsync(factory);
        var operation = await factory.CreateOperationAsync(tenant, "slack", "Message Posted", "Answer <{user}> in <{channel}>: {{text}}");

        var response = await Platform().SendAsync(PlatformWebhooks.Slack(Path(operation), PlatformWebhooks.SlackUrlVerification("c"), "any"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("No signing secret is available for this operation", await response.DetailAsync());
    }

    private async Task<(HttpClient Client, TestTenant Tenant, TrelloAccount Account, Guid Operation)> TrelloAsync(string trigger = "Comment Added")
    {
        var (client, tenant) = await ClientAsync(factory);
        var account = factory.Trello.AddAccount();
        await StoreCredentialAsync(client, "trello", account.CredentialFields());
        var operation = await factory.CreateOperationAsync(tenant, "trello", trigger, "Reply to <{member}> on card <{card_id}>: {{text}}");
        return (client, tenant, account, operation);
    }

    [Fact]
    public async Task Trello_HeadCheckOfTheCallbackUrl_Answers200_AndUnknownOperations404()
    {
        var (_, tenant) = await ClientAsync(factory);
        var inactive = await factory.CreateOperationAsync(tenant, "trello", "Comment Added", "Reply to <{member}>: {{text}}", status: TriggerOperationStatus.Inactive);

        var known = await Platform().SendAsync(new HttpRequestMessage(HttpMethod.Head, Path(inactive)));
        var v1 = await Platform().SendAsync(new HttpRequestMessage(HttpMethod.Head, Path(inactive, v1: true)));
        var unknown = await Platform().SendAsync(new HttpRequestMessage(HttpMethod.Head, Path(Guid.NewGuid())));

        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        Assert.Equal(HttpStatusCode.OK, v1.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Trello_CommentSignedWithTheCallbackUrl_IsStoredUnderTheActionIdWithTheCardAsEntity(bool registeredOnV1)
    {
        var (_, _, account, operation) = await TrelloAsync();
        var action = PlatformWebhooks.TrelloComment("6750a1b2c3d4e5f6a7b8c9d0", "5f0c1e2d3b4a596877661234", "Ship it", "Looks good to me", "grace");
        // Registered with the operation's webhook_url, or with the /api/v1 twin of it: Trello signs the URL it was given.
        var url = registeredOnV1 ? $"{WebhookFactory.PublicBaseUrl}/api/v1/webhooks/{operation}" : WebhookUrl(operation);

        var response = await Platform().SendAsync(PlatformWebhooks.Trello(Path(operation, registeredOnV1), action, null, account.AppSecret, signedUrl: url));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var stored = await factory.TriggerRunAsync(await TriggerRunIdAsync(response));
        Assert.Equal("6750a1b2c3d4e5f6a7b8c9d0", stored.DeliveryId);
        Assert.Equal("5f0c1e2d3b4a596877661234", stored.IntegrationEntityId);
    }

    [Theory]
    [InlineData("another app secret")]
    [InlineData("another callback URL")]
    [InlineData("no signature")]
    [InlineData("tampered body")]
    public async Task Trello_BadSignature_Answers401AndStoresNothing(string kind)
    {
        var (_, tenant, account, operation) = await TrelloAsync();
        var action = PlatformWebhooks.TrelloComment("6750a1b2c3d4e5f6a7b8c9d1", "5f0c1e2d3b4a596877661234", "Ship it", "Looks good to me", "grace");
        var request = PlatformWebhooks.Trello(Path(operation), action, null,
            kind == "another app secret" ? account.AppSecret + "0" : account.AppSecret,
            signedUrl: kind == "another callback URL" ? $"https://elsewhere.example.com/webhooks/{operation}" : WebhookUrl(operation));
        if (kind == "no signature")
            request.Headers.Remove("X-Trello-Webhook");
        if (kind == "tampered body")
            request.Content = new StringContent((await request.Content!.ReadAsStringAsync()).Replace("Looks good", "Looks bad", StringComparison.Ordinal), Encoding.UTF8, "application/json");

        var response = await Platform().SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, (await factory.RowsAsync(tenant)).TriggerRuns);
    }

    [Fact]
    public async Task Trello_ActionOfAnotherType_Answers200AndStoresNothing()
    {
        var (_, tenant, account, operation) = await TrelloAsync();
        var action = PlatformWebhooks.TrelloComment("6750a1b2c3d4e5f6a7b8c9d2", "5f0c1e2d3b4a596877661234", "Ship it", "n/a", "grace");
        action["type"] = "updateCard";

        var response = await Platform().SendAsync(PlatformWebhooks.Trello(Path(operation), action, null, account.AppSecret, signedUrl: WebhookUrl(operation)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ignored", (await response.ReadJsonAsync())["status"]!.GetValue<string>());
        Assert.Equal(0, (await factory.RowsAsync(tenant)).TriggerRuns);
    }

    [Fact]
    public async Task Trello_OperationNamingACredential_VerifiesWithThatOneNotTheNewest()
    {
        var (client, tenant) = await ClientAsync(factory);
        var named = factory.Trello.AddAccount("named");
        var namedId = await StoreCredentialAsync(client, "trello", named.CredentialFields(), "named");
        var newest = factory.Trello.AddAccount("newest");
        await StoreCredentialAsync(client, "trello", newest.CredentialFields(), "newest");
        var operation = await factory.CreateOperationAsync(tenant, "trello", "Comment Added", "Reply to <{member}>: {{text}}", credentialId: namedId);
        var action = PlatformWebhooks.TrelloComment("6750a1b2c3d4e5f6a7b8c9d3", "5f0c1e2d3b4a596877661234", "Ship it", "Looks good", "grace");

        var byNewest = await Platform().SendAsync(PlatformWebhooks.Trello(Path(operation), action, null, newest.AppSecret, signedUrl: WebhookUrl(operation)));
        var byNamed = await Platform().SendAsync(PlatformWebhooks.Trello(Path(operation), action, null, named.AppSecret, signedUrl: WebhookUrl(operation)));

        Assert.Equal(HttpStatusCode.Unauthorized, byNewest.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, byNamed.StatusCode);
    }

    [Fact]
    public async Task Trello_DeliveryWithoutAnActionId_Answers422()
    {
        var (_, tenant, account, operation) = await TrelloAsync();
        var action = PlatformWebhooks.TrelloComment("x", "5f0c1e2d3b4a596877661234", "Ship it", "Looks good", "grace");
        action.Remove("id");

        var response = await Platform().SendAsync(PlatformWebhooks.Trello(Path(operation), action, null, account.AppSecret, signedUrl: WebhookUrl(operation)));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(["body.action.id"], await response.ErrorLocationsAsync());
        Assert.Equal(0, (await factory.RowsAsync(tenant)).TriggerRuns);
    }
}
