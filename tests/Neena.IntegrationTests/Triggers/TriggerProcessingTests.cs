using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Neena.Domain.FlowRuns;
using Neena.Domain.Triggers;
using Neena.IntegrationTests.Engine;
using Neena.IntegrationTests.Infrastructure;
using Neena.StandIns;
using Npgsql;
using static Neena.IntegrationTests.Engine.EngineTestSupport;
using static Neena.IntegrationTests.Triggers.WebhookTestSupport;

namespace Neena.IntegrationTests.Triggers;

/// <summary>
/// Deliveries processed in the background into flow requests and approved runs, which the engine executes: against the
/// Trello stand-in with the organization's stored credential, with flows generated per event, once per delivery however
/// often it arrives, with permanent failures recorded, and with a crashed instance's claim taken over once its lease expires.
/// </summary>
public sealed class TriggerProcessingTests(WebhookFactory factory) : IClassFixture<WebhookFactory>
{
    private const string Secret = "whsec_fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    private HttpClient Platform() => factory.CreateClient();

    /// <summary>A Trello board, list and card, made through the stand-in's API as a person would, and a comment on the card.</summary>
    private async Task<(string CardId, JsonObject Comment, JsonObject Board)> CommentOnACardAsync(TrelloAccount account, string text)
    {
        using var trello = new HttpClient { BaseAddress = new Uri(factory.Trello.BaseUrl) };
        var auth = $"key={account.ApiKey}&token={account.Token}";
        async Task<JsonObject> PostAsync(string path) =>
            (await (await trello.PostAsync($"{path}{(path.Contains('?', StringComparison.Ordinal) ? "&" : "?")}{auth}", null)).ReadJsonAsync()).AsObject();
        var board = await PostAsync("boards/?name=Launch");
        var lists = (await (await trello.GetAsync($"boards/{board["id"]}/lists?{auth}")).ReadJsonAsync()).AsArray();
        var card = await PostAsync($"cards?idList={lists[0]!["id"]}&name=Ship%20it");
        var comment = await PostAsync($"cards/{card["id"]}/actions/comments?text={Uri.EscapeDataString(text)}");
        return (card["id"]!.GetValue<string>(), comment, board);
    }

    [Fact]
    public async Task TrelloComment_OnAnOperationWithAFlow_RunsItAgainstTrello_AndTheResultNamesTheCardTheTriggerRunAndTrello()
    {
        var (client, tenant) = await ClientAsync(factory);
        var account = factory.Trello.AddAccount("grace", "Grace Hopper");
        await StoreCredentialAsync(client, "trello", account.CredentialFields());
        var getCard = await factory.TaskDefinitionIdAsync("trello", "Get Card");
        var addComment = await factory.TaskDefinitionIdAsync("trello", "Add Comment to Card");
        var flow = await CreateFlowAsync(client, "answer a comment",
        [
            new Op(0, getCard, new { card_id = "{{request.metadata.card_id}}" }),
            new Op(1, addComment, new { card_id = "{{tasks.0.result.id}}", text = "Noted, @{{request.metadata.member}}: {{request.metadata.text}}" }),
        ], [(0, 1)]);
        var operation = await factory.CreateOperationAsync(tenant, "trello", "Comment Added",
            "Answer <{member}>'s comment on card <{card_name}>: {{text}}", flowId: Guid.Parse(flow));
        var (cardId, comment, board) = await CommentOnACardAsync(account, "Can we ship on Friday?");

        var response = await Platform().SendAsync(PlatformWebhooks.Trello(Path(operation), comment, board, account.AppSecret, signedUrl: WebhookUrl(operation)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var triggerRun = await factory.WaitForTriggerRunAsync(await TriggerRunIdAsync(response));
        Assert.True(triggerRun.Status == TriggerRunStatus.Completed, triggerRun.Error);
        Assert.Equal(cardId, triggerRun.IntegrationEntityId);
        Assert.Equal(comment["id"]!.GetValue<string>(), triggerRun.DeliveryId);

        var request = await (await client.GetAsync($"/api/v1/flow_requests/?id={triggerRun.FlowRequestId}")).ReadJsonAsync();
        Assert.Equal("Answer grace's comment on card Ship it: Can we ship on Friday?", request["request_instructions"]!.GetValue<string>());
        var fields = request["request_metadata"]!.AsArray().Single()!.AsObject();
        Assert.Equal(cardId, fields["card_id"]!.GetValue<string>());
        Assert.Equal("Can we ship on Friday?", fields["text"]!.GetValue<string>());
        Assert.Equal("grace", fields["member"]!.GetValue<string>());
        Assert.Equal(flow, request["flow"]!.GetValue<string>());
        Assert.Equal(tenant.Email, request["created_by_email"]!.GetValue<string>());

        var run = await WaitForRunAsync(client, triggerRun.FlowRunId!.Value.ToString());
        Assert.Equal(RunStatus.Completed, Status(run));
        Assert.Equal(ApprovalStatus.Approved, run["approval_status"]!.GetValue<string>());
        Assert.Equal($"webhook:{operation}", run["triggered_by"]!.GetValue<string>());
        // Made by the trigger run processor: a webhook's run, which no user or key authenticated.
        Assert.Equal(RunType.Webhook, run["run_type"]!.GetValue<string>());
        Assert.Null(run["ran_by_type"]);
        Assert.Null(run["ran_by_id"]);
        Assert.Contains("Noted, @grace: Can we ship on Friday?", factory.Trello.Comments(cardId));

        var withResult = await (await client.GetAsync($"/api/v1/flow_runs/with_flow_result?id={run["id"]}")).ReadJsonAsync();
        Assert.Equal(triggerRun.Id.ToString(), withResult["flow_result"]!["trigger_run_id"]!.GetValue<string>());
        Assert.Equal(cardId, withResult["flow_result"]!["integration_entity_id"]!.GetValue<string>());
        await using var db = factory.CreateDbContext(tenant.OrganizationId);
        var trello = await db.Integrations.Where(i => i.ShortName == "trello").Select(i => i.Id).SingleAsync();
        Assert.Equal(trello, await db.FlowResults.Where(r => r.FlowRunId == triggerRun.FlowRunId).Select(r => r.IntegrationId).SingleAsync());
    }

    [Fact]
    public async Task IncomingWebhook_WithoutAFlow_GeneratesOneWithoutAModel_SavesItAndRunsIt()
    {
        var (client, tenant) = await ClientAsync(factory);
        var operation = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook",
            "Pause for a few seconds before continuing, then report the order <{payload}>", signingSecret: Secret, requiresApproval: false);

        var response = await Platform().SendAsync(PlatformWebhooks.Neena(Path(operation), """{"order_id": "A-1042", "seconds": 1}""", Secret));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var triggerRun = await factory.WaitForTriggerRunAsync(await TriggerRunIdAsync(response));
        Assert.True(triggerRun.Status == TriggerRunStatus.Completed, triggerRun.Error);
        var request = await (await client.GetAsync($"/api/v1/flow_requests/?id={triggerRun.FlowRequestId}")).ReadJsonAsync();
        // The payload is rendered as its JSON text (as stored: jsonb keeps its own key order).
        const string prefix = "Pause for a few seconds before continuing, then report the order ";
        var instructions = request["request_instructions"]!.GetValue<string>();
        Assert.StartsWith(prefix, instructions, StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"order_id": "A-1042", "seconds": 1}"""), JsonNode.Parse(instructions[prefix.Length..])));
        Assert.Equal("A-1042", request["request_metadata"]![0]!["payload"]!["order_id"]!.GetValue<string>());
        // Generated and saved as POST /flows/generate saves it: a flow of the organization, linked to the request.
        var flowId = request["flow"]!.GetValue<string>();
        var flow = await (await client.GetAsync($"/api/v1/flows/?id={flowId}")).ReadJsonAsync();
        // Without a model, Wait's seconds is the payload's field of that name.
        var wait = flow["task_operations"]!.AsArray().Single(o => o!["name"]!.GetValue<string>() == "Wait")!;
        Assert.Equal("{{request.metadata.payload.seconds}}", wait["parameters"]!["seconds"]!.GetValue<string>());
        Assert.False(flow["created_by_human"]!.GetValue<bool>());

        var run = await WaitForRunAsync(client, triggerRun.FlowRunId!.Value.ToString());
        Assert.Equal(flowId, run["flow"]!.GetValue<string>());
        Assert.True(Status(run) == RunStatus.Completed, run.ToJsonString());
        var result = (await (await client.GetAsync($"/api/v1/flow_runs/with_flow_result?id={run["id"]}")).ReadJsonAsync())["flow_result"]!;
        Assert.Equal(triggerRun.Id.ToString(), result["trigger_run_id"]!.GetValue<string>());
        Assert.Null(result["integration_entity_id"]);
    }

    [Fact]
    public async Task IncomingWebhook_NothingInTheCatalogueFits_FailsTheTriggerRunSayingSo()
    {
        var (_, tenant) = await ClientAsync(factory);
        var operation = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", "Book a flight to Paris for next Tuesday", signingSecret: Secret);

        var response = await Platform().SendAsync(PlatformWebhooks.Neena(Path(operation), "{}", Secret));

        var triggerRun = await factory.WaitForTriggerRunAsync(await TriggerRunIdAsync(response));
        Assert.Equal(TriggerRunStatus.Failed, triggerRun.Status);
        Assert.StartsWith("No flow could be generated for the request: nothing in the catalogue fits the request", triggerRun.Error);
        Assert.Equal(1, triggerRun.Attempts);
        Assert.Null(triggerRun.LeaseOwner);
        Assert.Equal((1, 0, 0), await factory.RowsAsync(tenant));
    }

    private async Task<(HttpClient Client, TestTenant Tenant, Guid Operation)> EchoOperationAsync(string template = "Echo the delivery <{payload}> back")
    {
        var (client, tenant) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "echo", [new Op(0, echo, new { message = "{{request.instructions}}" })]);
        var operation = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", template, flowId: Guid.Parse(flow), signingSecret: Secret);
        return (client, tenant, operation);
    }

    /// <summary>
    /// Stores a fresh delivery (to an operation of another organization) and waits until it is processed: claims take the
    /// oldest claimable trigger runs first, so by then the processor has claimed everything claimable that was stored
    /// before it. A test that must see something not happen waits on this instead of a sleep.
    /// </summary>
    private async Task ProcessorPassedEverythingStoredBeforeAsync()
    {
        var (_, _, marker) = await EchoOperationAsync();
        var response = await Platform().SendAsync(PlatformWebhooks.Neena(Path(marker), "{\"marker\": true}", Secret));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var processed = await factory.WaitForTriggerRunAsync(await TriggerRunIdAsync(response));
        Assert.True(processed.Status == TriggerRunStatus.Completed, processed.Error);
    }

    /// <summary>Polls, bounded, until none of the organization's trigger runs is received or processing.</summary>
    private async Task WaitUntilNoTriggerRunIsOpenAsync(TestTenant tenant)
    {
        var deadline = DateTime.UtcNow + WebhookTestSupport.Timeout;
        while (await factory.CountAsync("SELECT count(*) FROM trigger_runs WHERE organization_id = $1 AND status IN ($2, $3)",
                   tenant.OrganizationId, TriggerRunStatus.Received, TriggerRunStatus.Processing) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "A trigger run stayed open");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task SameDelivery_SentAgainAfterItWasProcessed_MakesOneRequestAndOneRun()
    {
        var (client, tenant, operation) = await EchoOperationAsync();

        var first = await Platform().SendAsync(PlatformWebhooks.Neena(Path(operation), "{\"n\": 1}", Secret, deliveryId: "order-1"));
        var triggerRun = await factory.WaitForTriggerRunAsync(await TriggerRunIdAsync(first));
        var again = await Platform().SendAsync(PlatformWebhooks.Neena(Path(operation), "{\"n\": 1}", Secret, deliveryId: "order-1"));

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(triggerRun.Id, await TriggerRunIdAsync(again));
        var run = await WaitForRunAsync(client, triggerRun.FlowRunId!.Value.ToString());
        Assert.Equal(RunStatus.Completed, Status(run));
        Assert.Equal("Echo the delivery {\"n\":1} back", TaskRun(run, 0)["result"]!["message"]!.GetValue<string>());
        // Were the repeat (or the completed trigger run) taken up again, a claim before the marker's would have taken it.
        await ProcessorPassedEverythingStoredBeforeAsync();
        await WaitUntilNoTriggerRunIsOpenAsync(tenant);
        Assert.Equal((1, 1, 1), await factory.RowsAsync(tenant));
    }

    [Fact]
    public async Task SameDelivery_SentConcurrently_MakesOneRequestAndOneRun()
    {
        var (client, tenant, operation) = await EchoOperationAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ =>
            Platform().SendAsync(PlatformWebhooks.Neena(Path(operation), "{\"n\": 2}", Secret, deliveryId: "order-2"))));

        var ids = (await Task.WhenAll(responses.Select(TriggerRunIdAsync))).Distinct().ToList();
        var triggerRun = await factory.WaitForTriggerRunAsync(Assert.Single(ids));
        Assert.Equal(TriggerRunStatus.Completed, triggerRun.Status);
        await WaitForRunAsync(client, triggerRun.FlowRunId!.Value.ToString());
        Assert.Equal((1, 1, 1), await factory.RowsAsync(tenant));
    }

    [Fact]
    public async Task TrelloComment_WithoutItsRequiredMember_FailsTheTriggerRunAndMakesNothing()
    {
        var (client, tenant) = await ClientAsync(factory);
        var account = factory.Trello.AddAccount();
        await StoreCredentialAsync(client, "trello", account.CredentialFields());
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "echo", [new Op(0, echo, new { message = "hi" })]);
        var operation = await factory.CreateOperationAsync(tenant, "trello", "Comment Added", "Answer <{member}>: {{text}}", flowId: Guid.Parse(flow));
        var action = PlatformWebhooks.TrelloComment("6750a1b2c3d4e5f6a7b8c9e0", "5f0c1e2d3b4a596877661234", "Ship it", "Looks good", "grace");
        action.Remove("memberCreator");

        var response = await Platform().SendAsync(PlatformWebhooks.Trello(Path(operation), action, null, account.AppSecret, signedUrl: WebhookUrl(operation)));

        var triggerRun = await factory.WaitForTriggerRunAsync(await TriggerRunIdAsync(response));
        Assert.Equal(TriggerRunStatus.Failed, triggerRun.Status);
        Assert.Equal("The event lacks the required field 'member' (at $.action.memberCreator.username).", triggerRun.Error);
        Assert.Null(triggerRun.FlowRequestId);
        Assert.Equal((1, 0, 0), await factory.RowsAsync(tenant));
    }

    [Fact]
    public async Task Template_RenderingTooShortForAFlowRequest_FailsTheTriggerRun()
    {
        var (_, tenant, operation) = await EchoOperationAsync(template: "Go");

        var response = await Platform().SendAsync(PlatformWebhooks.Neena(Path(operation), "{}", Secret));

        var triggerRun = await factory.WaitForTriggerRunAsync(await TriggerRunIdAsync(response));
        Assert.Equal(TriggerRunStatus.Failed, triggerRun.Status);
        Assert.Contains("a flow request needs 8 to 512", triggerRun.Error, StringComparison.Ordinal);
        Assert.Equal((1, 0, 0), await factory.RowsAsync(tenant));
    }

    [Fact]
    public async Task Template_RenderingLongerThanAFlowRequestTakes_IsCut()
    {
        var (client, _, operation) = await EchoOperationAsync();
        var payload = new JsonObject { ["text"] = new string('x', 2000) }.ToJsonString();

        var response = await Platform().SendAsync(PlatformWebhooks.Neena(Path(operation), payload, Secret));

        var triggerRun = await factory.WaitForTriggerRunAsync(await TriggerRunIdAsync(response));
        Assert.Equal(TriggerRunStatus.Completed, triggerRun.Status);
        var request = await (await client.GetAsync($"/api/v1/flow_requests/?id={triggerRun.FlowRequestId}")).ReadJsonAsync();
        var instructions = request["request_instructions"]!.GetValue<string>();
        Assert.Equal(512, instructions.Length);
        Assert.EndsWith("…", instructions, StringComparison.Ordinal);
        Assert.Equal(2000, request["request_metadata"]![0]!["payload"]!["text"]!.GetValue<string>().Length);
    }

    [Fact]
    public async Task FlowDeletedAfterTheOperationNamedIt_FailsTheTriggerRun()
    {
        var (client, tenant, operation) = await EchoOperationAsync();
        await using (var db = factory.CreateDbContext(tenant.OrganizationId))
        {
            var flowId = await db.WebhookTriggerOperations.Where(o => o.Id == operation).Select(o => o.FlowId!.Value).SingleAsync();
            Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/v1/flows/?id={flowId}")).StatusCode);
        }

        var response = await Platform().SendAsync(PlatformWebhooks.Neena(Path(operation), "{}", Secret));

        var triggerRun = await factory.WaitForTriggerRunAsync(await TriggerRunIdAsync(response));
        Assert.Equal(TriggerRunStatus.Failed, triggerRun.Status);
        Assert.Equal("The operation's flow no longer exists.", triggerRun.Error);
    }

    /// <summary>A trigger run as a crashed instance left it: claimed (processing), its lease running out at <paramref name="leaseLeft"/>.</summary>
    private async Task<Guid> ClaimedByACrashedInstanceAsync(TestTenant tenant, Guid operation, TimeSpan leaseLeft, int attempts)
    {
        var id = Guid.CreateVersion7();
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand("""
            INSERT INTO trigger_runs (id, organization_id, webhook_trigger_operation_id, status, event, attempts, lease_owner, lease_expires_at, created_date, modified_date)
            VALUES ($1, $2, $3, 'processing', '{"crashed": true}'::jsonb, $4, 'crashed-instance', now() + $5, now(), now())
            """, connection);
        insert.Parameters.AddWithValue(id);
        insert.Parameters.AddWithValue(tenant.OrganizationId);
        insert.Parameters.AddWithValue(operation);
        insert.Parameters.AddWithValue(attempts);
        insert.Parameters.AddWithValue(leaseLeft);
        await insert.ExecuteNonQueryAsync();
        return id;
    }

    private async Task ExpireLeaseAsync(Guid id)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var expire = new NpgsqlCommand("UPDATE trigger_runs SET lease_expires_at = now() - interval '1 second' WHERE id = $1", connection);
        expire.Parameters.AddWithValue(id);
        Assert.Equal(1, await expire.ExecuteNonQueryAsync());
    }

    [Fact]
    public async Task ClaimOfACrashedInstance_IsLeftAloneWhileItsLeaseLasts_ThenTakenOverAndCompleted()
    {
        var (client, tenant, operation) = await EchoOperationAsync();

        // A lease far longer than the test: only the processor ignoring it could take the claim over while it is checked.
        var id = await ClaimedByACrashedInstanceAsync(tenant, operation, TimeSpan.FromMinutes(10), attempts: 1);
        await ProcessorPassedEverythingStoredBeforeAsync();

        var held = await factory.TriggerRunAsync(id);
        Assert.Equal(TriggerRunStatus.Processing, held.Status);
        Assert.Equal("crashed-instance", held.LeaseOwner);
        Assert.Equal(1, held.Attempts);
        // The lease runs out (on the database's clock, which the claims read) instead of the test waiting for it.
        await ExpireLeaseAsync(id);
        var taken = await factory.WaitForTriggerRunAsync(id);
        Assert.Equal(TriggerRunStatus.Completed, taken.Status);
        Assert.Equal(2, taken.Attempts);
        Assert.Null(taken.LeaseOwner);
        var run = await WaitForRunAsync(client, taken.FlowRunId!.Value.ToString());
        Assert.Equal(RunStatus.Completed, Status(run));
    }

    [Fact]
    public async Task ClaimThatKeptCrashing_IsFailedOnceItsAttemptsAreUsedUp()
    {
        var (_, tenant, operation) = await EchoOperationAsync();

        var id = await ClaimedByACrashedInstanceAsync(tenant, operation, TimeSpan.FromSeconds(-1), attempts: 5);

        var failed = await factory.WaitForTriggerRunAsync(id);
        Assert.Equal(TriggerRunStatus.Failed, failed.Status);
        Assert.Equal("Gave up after 5 attempts: processing never finished (the server stopped or crashed while processing it)", failed.Error);
        Assert.Null(failed.FlowRunId);
    }
}
