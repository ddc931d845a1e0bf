// Compiled at test time together with the client that NSwag generates from the served OpenAPI document (see
// GeneratedClientTests): this is what a user of the generated client writes. It is excluded from the test project's
// own compilation, because the types it uses exist only once the document has been turned into code.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using Neena.Generated;

namespace Neena.ClientScenario;

public static partial class Scenario
{
    /// <summary>Calls every operation of both surfaces: /api/v1 with <paramref name="v1"/>, the root paths with <paramref name="legacy"/>.</summary>
    /// <param name="jwt">A client whose bearer JWT describes <paramref name="email"/> and <paramref name="subject"/>, to register that user.</param>
    /// <param name="webhookOperation">An active core Incoming Webhook trigger operation of the caller's organization.</param>
    /// <param name="webhookSecret">Its signing secret.</param>
    /// <param name="receiverUrl">A local receiver of notifications that answers 200 to any POST under it.</param>
    public static async Task<List<string>> RunAsync(HttpClient v1, HttpClient legacy, HttpClient jwt, string email, string subject, Guid webhookOperation, string webhookSecret, string receiverUrl)
    {
        var calls = new List<string>();
        var baseUrl = v1.BaseAddress!.ToString();

        // Users
        var me = await new UsersClient(v1) { BaseUrl = baseUrl }.GetCurrentAsync();
        Check(me.Permissions.Contains(Permission.Write), "GET /api/v1/users: permissions");
        var legacyMe = await new LegacyUsersClient(legacy) { BaseUrl = baseUrl }.GetCurrentAsync();
        Check(legacyMe.Id == me.Id, "GET /users: same user");
        var registered = await new UsersClient(jwt) { BaseUrl = baseUrl }.CreateIfNotExistsAsync(null, new UserCreate { Email = email, Auth0_id = subject, Full_name = "Grace Hopper" });
        var again = await new LegacyUsersClient(jwt) { BaseUrl = baseUrl }.CreateIfNotExistsAsync(null, new UserCreate { Email = email, Auth0_id = subject });
        Check(registered.Id == again.Id && registered.Permissions == null, "create_if_not_exists returns the user once created");
        var renamed = await new UsersClient(jwt) { BaseUrl = baseUrl }.UpdateCurrentAsync(new UserUpdate { Full_name = "Grace B. Hopper" });
        Check(renamed.Id == registered.Id && renamed.Full_name == "Grace B. Hopper", "PUT /api/v1/users/");
        var legacyRenamed = await new LegacyUsersClient(jwt) { BaseUrl = baseUrl }.UpdateCurrentAsync(new UserUpdate { Full_name = "Grace Hopper" });
        Check(legacyRenamed.Full_name == "Grace Hopper" && (await new UsersClient(jwt) { BaseUrl = baseUrl }.GetCurrentAsync()).Full_name == "Grace Hopper", "PUT /users/ reads back");
        calls.Add("users");

        // Catalogue
        var integrations = await new IntegrationsClient(v1) { BaseUrl = baseUrl }.ListAsync(0, 1000);
        var core = integrations.Single(i => i.Short_name == "core");
        Check(core.Auth_type == AuthType.None, "core needs no auth");
        Check((await new LegacyIntegrationsClient(legacy) { BaseUrl = baseUrl }.GetAsync(core.Id)).Name == core.Name, "GET /integrations");
        Check((await new IntegrationsClient(v1) { BaseUrl = baseUrl }.GetAsync(core.Id)).Id == core.Id, "GET /api/v1/integrations");
        Check((await new LegacyIntegrationsClient(legacy) { BaseUrl = baseUrl }.ListAsync(null, null)).Count == integrations.Count, "GET /integrations/all");
        var definitions = await new TaskDefinitionsClient(v1) { BaseUrl = baseUrl }.ListAsync(0, 1000);
        var compose = definitions.Single(d => d.Task_name == "Compose Text" && d.Belongs_to_integration.Short_name == "core");
        var echo = definitions.Single(d => d.Task_name == "Echo" && d.Belongs_to_integration.Short_name == "core");
        var wait = definitions.Single(d => d.Task_name == "Wait" && d.Belongs_to_integration.Short_name == "core");
        Check(echo.Parameters.Any(p => p.Name == "message"), "Echo takes a message");
        Check((await new TaskDefinitionsClient(v1) { BaseUrl = baseUrl }.GetAsync(echo.Id)).Python_method_name == echo.Python_method_name, "GET /api/v1/task_definitions");
        Check((await new LegacyTaskDefinitionsClient(legacy) { BaseUrl = baseUrl }.GetAsync(compose.Id)).Id == compose.Id, "GET /task_definitions");
        Check((await new LegacyTaskDefinitionsClient(legacy) { BaseUrl = baseUrl }.ListAsync(0, 1000)).Count == definitions.Count, "GET /task_definitions/all");
        var similar = await new TaskDefinitionsClient(v1) { BaseUrl = baseUrl }.RetrieveAsync("compose a text from a template", 3);
        Check(similar.Count == 3 && similar.Zip(similar.Skip(1)).All(p => p.First.Similarity >= p.Second.Similarity), "GET /api/v1/task_definitions/retrieve");
        Check((await new LegacyTaskDefinitionsClient(legacy) { BaseUrl = baseUrl }.RetrieveAsync("post a message to a channel", null)).Count == 5, "GET /task_definitions/retrieve");
        calls.Add("catalogue");

        // API keys
        var key = await new ApiKeysClient(v1) { BaseUrl = baseUrl }.CreateAsync(null, new ApiKeyCreate { Name = "generated client", Permissions = new List<Permission> { Permission.Read } });
        Check(key.Key.Length > 20 && key.Permissions.SequenceEqual(new[] { Permission.Read }), "POST /api/v1/api_keys");
        var legacyKey = await new LegacyApiKeysClient(legacy) { BaseUrl = baseUrl }.CreateAsync(null, new ApiKeyCreate { Name = "legacy", Expires_at = DateTimeOffset.UtcNow.AddDays(1) });
        Check(legacyKey.Expires_at != null, "POST /api_keys");
        Check((await new ApiKeysClient(v1) { BaseUrl = baseUrl }.ListAsync(0, 10)).Any(k => k.Id == key.Id), "GET /api/v1/api_keys/all");
        Check((await new LegacyApiKeysClient(legacy) { BaseUrl = baseUrl }.ListAsync(null, 10)).Any(k => k.Id == legacyKey.Id), "GET /api_keys/all");
        Check((await new ApiKeysClient(v1) { BaseUrl = baseUrl }.RevokeAsync(key.Id)).Revoked_at != null, "DELETE /api/v1/api_keys");
        Check((await new LegacyApiKeysClient(legacy) { BaseUrl = baseUrl }.RevokeAsync(legacyKey.Id)).Revoked_at != null, "DELETE /api_keys");
        calls.Add("api_keys");

        // Integration credentials: the answers name the fields, never a value; the check reaches no platform here.
        var credentials = new IntegrationCredentialsClient(v1) { BaseUrl = baseUrl };
        var legacyCredentials = new LegacyIntegrationCredentialsClient(legacy) { BaseUrl = baseUrl };
        var slack = integrations.Single(i => i.Short_name == "slack");
        Check(slack.Credential_fields.Select(f => f.Name).SequenceEqual(new[] { "bot_token", "signing_secret" }), "slack lists its credential fields");
        var trelloCredential = await credentials.CreateAsync(null, new IntegrationCredentialCreate
        {
            Integration_short_name = "trello",
            Name = "generated client",
            Credentials = new Dictionary<string, string> { ["api_key"] = "k0123456789", ["token"] = "t0123456789", ["app_secret"] = "s0123456789" },
        });
        Check(trelloCredential.Fields.SequenceEqual(new[] { "api_key", "token", "app_secret" }) && trelloCredential.Deleted_at == null, "POST /api/v1/integration_credentials");
        var slackCredential = await legacyCredentials.CreateAsync(null, new IntegrationCredentialCreate
        {
            Integration = slack.Id,
            Name = "bot",
            Credentials = new Dictionary<string, string> { ["bot_token"] = "xoxb-1-2-3", ["signing_secret"] = "s0123456789" },
        });
        Check(slackCredential.Integration_short_name == "slack", "POST /integration_credentials");
        Check((await credentials.GetAsync(slackCredential.Id)).Name == "bot", "GET /api/v1/integration_credentials");
        Check((await legacyCredentials.GetAsync(trelloCredential.Id)).Id == trelloCredential.Id, "GET /integration_credentials");
        Check((await credentials.ListAsync(0, 10)).Count == 2, "GET /api/v1/integration_credentials/all");
        Check((await legacyCredentials.ListAsync(null, null)).Count == 2, "GET /integration_credentials/all");
        // A task operation names the credential its task acts with; one of another integration is refused at its location.
        var createBoard = definitions.Single(d => d.Task_name == "Create Board" && d.Belongs_to_integration.Short_name == "trello");
        var boardFlow = await new FlowsClient(v1) { BaseUrl = baseUrl }.CreateAsync(null, new FlowCreate
        {
            Name = "Board with a chosen credential",
            Task_operations = new List<TaskOperationCreate>
            {
                new() { Name = "Board", Task_definition = createBoard.Id, Index = 0, Parameters = new Dictionary<string, object> { ["name"] = "Launch" }, Integration_credential = trelloCredential.Id },
            },
        });
        Check(boardFlow.Task_operations.Single().Integration_credential == trelloCredential.Id, "POST /api/v1/flows with integration_credential");
        Check((await new LegacyFlowsClient(legacy) { BaseUrl = baseUrl }.GetAsync(boardFlow.Id)).Task_operations.Single().Integration_credential == trelloCredential.Id, "GET /flows keeps integration_credential");
        var wrongCredential = await Refused<ValidationErrors>(() => new LegacyFlowsClient(legacy) { BaseUrl = baseUrl }.UpdateAsync(new FlowUpdate
        {
            Id = boardFlow.Id,
            Name = "Board with a Slack credential",
            Task_operations = new List<TaskOperationCreate>
            {
                new() { Name = "Board", Task_definition = createBoard.Id, Index = 0, Integration_credential = slackCredential.Id },
            },
        }));
        Check(wrongCredential.StatusCode == 422 && wrongCredential.Result.Errors.Any(e => e.ContainsKey("body.task_operations.0.integration_credential")), "a credential of another integration: 422 at its location");
        Check((await new FlowsClient(v1) { BaseUrl = baseUrl }.DeleteAsync(boardFlow.Id)).Deleted_at != null, "the board flow is removed again");
        var unreachable = await credentials.CheckAsync(trelloCredential.Id, null);
        Check(!unreachable.Ok && unreachable.Detail.Length > 0, "POST /api/v1/integration_credentials/check: " + unreachable.Detail);
        Check(!(await legacyCredentials.CheckAsync(slackCredential.Id, null)).Ok, "POST /integration_credentials/check");
        var incomplete = await Refused<ValidationErrors>(() => credentials.CreateAsync(null, new IntegrationCredentialCreate
        {
            Integration_short_name = "trello",
            Name = "incomplete",
            Credentials = new Dictionary<string, string> { ["api_key"] = "k" },
        }));
        Check(incomplete.StatusCode == 422 && incomplete.Result.Errors.Any(e => e.ContainsKey("body.credentials.token")), "a missing credential field: 422 at its location");
        Check((await credentials.DeleteAsync(trelloCredential.Id)).Deleted_at != null, "DELETE /api/v1/integration_credentials");
        Check((await legacyCredentials.DeleteAsync(slackCredential.Id)).Deleted_at != null, "DELETE /integration_credentials");
        var gone = await Refused<ErrorDetail>(() => credentials.GetAsync(trelloCredential.Id));
        Check(gone.StatusCode == 404, "a deleted credential: 404");
        calls.Add("integration_credentials");

        // Webhook trigger definitions: a global catalogue, like task definitions.
        var triggers = await new WebhookTriggerDefinitionsClient(v1) { BaseUrl = baseUrl }.ListAsync(0, 100);
        var commentAdded = triggers.Single(t => t.Trigger_name == "Comment Added");
        Check(commentAdded.Entity_field == "card_id" && commentAdded.Event_fields.Any(f => f.Name == "text" && f.Json_path == "$.action.data.text"), "GET /api/v1/webhook_trigger_definitions/all");
        Check((await new LegacyWebhookTriggerDefinitionsClient(legacy) { BaseUrl = baseUrl }.GetAsync(commentAdded.Id)).Event_type == "commentCard", "GET /webhook_trigger_definitions");
        Check((await new WebhookTriggerDefinitionsClient(v1) { BaseUrl = baseUrl }.GetAsync(commentAdded.Id)).Belongs_to_integration.Short_name == "trello", "GET /api/v1/webhook_trigger_definitions");
        Check((await new LegacyWebhookTriggerDefinitionsClient(legacy) { BaseUrl = baseUrl }.ListAsync(null, null)).Count == triggers.Count, "GET /webhook_trigger_definitions/all");
        calls.Add("webhook_trigger_definitions");

        // Webhooks: what a platform sends, signed with the operation's secret (Neena's scheme) over the exact body the client
        // sends; a repeat of the delivery names the first one's trigger run; Trello's HEAD check of the callback URL.
        await WebhooksAsync(new WebhooksClient(v1) { BaseUrl = baseUrl }, new LegacyWebhooksClient(legacy) { BaseUrl = baseUrl }, webhookOperation, webhookSecret);
        calls.Add("webhooks");

        // Both surfaces live through the same flow, each with its own generated clients.
        await V1FlowLifeAsync(new FlowsClient(v1) { BaseUrl = baseUrl }, new FlowRequestsClient(v1) { BaseUrl = baseUrl }, new FlowRunsClient(v1) { BaseUrl = baseUrl }, compose.Id, echo.Id);
        calls.Add("v1 flows");
        await LegacyFlowLifeAsync(new LegacyFlowsClient(legacy) { BaseUrl = baseUrl }, new LegacyFlowRequestsClient(legacy) { BaseUrl = baseUrl }, new LegacyFlowRunsClient(legacy) { BaseUrl = baseUrl }, compose.Id, echo.Id);
        // Approval steps (answered end to end in ApprovalStepTests): an unknown task run is 404 on both surfaces.
        var unknownStep = await Refused<ErrorDetail>(() => new ApprovalStepsClient(v1) { BaseUrl = baseUrl }.ApproveTaskAsync(Guid.NewGuid(), new TaskAnswer { Comment = "ok" }));
        Check(unknownStep.StatusCode == 404, "PUT /api/v1/flow_runs/approve_task of an unknown task run: 404");
        Check((await Refused<ErrorDetail>(() => new ApprovalStepsClient(v1) { BaseUrl = baseUrl }.RejectTaskAsync(Guid.NewGuid(), null))).StatusCode == 404, "PUT /api/v1/flow_runs/reject_task: 404");
        Check((await Refused<ErrorDetail>(() => new LegacyApprovalStepsClient(legacy) { BaseUrl = baseUrl }.ApproveTaskAsync(Guid.NewGuid(), null))).StatusCode == 404, "PUT /flow_runs/approve_task: 404");
        Check((await Refused<ErrorDetail>(() => new LegacyApprovalStepsClient(legacy) { BaseUrl = baseUrl }.RejectTaskAsync(Guid.NewGuid(), new TaskAnswer()))).StatusCode == 404, "PUT /flow_runs/reject_task: 404");
        calls.Add("legacy flows");
        await ObservingRunsAsync(baseUrl, v1, legacy, me.Organization, wait.Id, echo.Id);
        calls.Add("observing runs");

        // Generation without a language model: plan, save and execute on both surfaces.
        var v1Generation = new FlowGenerationClient(v1) { BaseUrl = baseUrl };
        var v1Requests = new FlowRequestsClient(v1) { BaseUrl = baseUrl };
        await GenerationAsync("/api/v1", b => v1Requests.CreateAsync(null, b), (r, d, t) => v1Generation.GenerateAsync(r, d, t, null), id => v1Generation.GenerateAndSaveAsync(id, null),
            (f, r) => v1Generation.ExecuteAsync(null, f, r, "scenario-execute-v1"), f => v1Generation.ExecuteAsync(f, null, null, null), r => v1Generation.GenerateAndExecuteAsync(r, null));
        var legacyGeneration = new LegacyFlowGenerationClient(legacy) { BaseUrl = baseUrl };
        var legacyRequests = new LegacyFlowRequestsClient(legacy) { BaseUrl = baseUrl };
        await GenerationAsync("", b => legacyRequests.CreateAsync(null, b), (r, d, t) => legacyGeneration.GenerateAsync(r, d, t, null), id => legacyGeneration.GenerateAndSaveAsync(id, null),
            (f, r) => legacyGeneration.ExecuteAsync(null, f, r, null), f => legacyGeneration.ExecuteAsync(f, null, null, null), r => legacyGeneration.GenerateAndExecuteAsync(r, "scenario-generate-execute-legacy"));
        calls.Add("generation");

        // Webhook trigger operations, trigger runs and flow results. Only the webhooks step delivered (a generic event, about
        // no platform entity), so no result is about one.
        await WebhookTriggersAsync(baseUrl, v1, legacy, triggers);
        calls.Add("webhook_triggers");

        // Schedules (one fires, so the trigger runs filter has a run to find) and notification subscriptions with a ping.
        await AutomationAsync(baseUrl, v1, legacy, echo.Id, receiverUrl);
        calls.Add("automation");
        return calls;
    }

    private static async Task WebhookTriggersAsync(string baseUrl, HttpClient v1, HttpClient legacy, ICollection<WebhookTriggerDefinition> definitions)
    {
        var generic = definitions.Single(t => t.Trigger_name == "Incoming Webhook");
        var cardCreated = definitions.Single(t => t.Trigger_name == "Card Created");
        var operations = new WebhookTriggerOperationsClient(v1) { BaseUrl = baseUrl };
        var legacyOperations = new LegacyWebhookTriggerOperationsClient(legacy) { BaseUrl = baseUrl };

        var orders = await operations.CreateAsync(null, new WebhookTriggerOperationCreate { Name = "shop orders", Webhook_trigger_definition = generic.Id, Template_body = "Handle the order {{ payload }}" });
        Check(orders.Signing_secret.StartsWith("whsec_") && orders.Status == TriggerOperationStatus.Inactive && orders.Webhook_url.EndsWith("/webhooks/" + orders.Id), "POST /api/v1/webhook_trigger_operations");
        var credential = await new IntegrationCredentialsClient(v1) { BaseUrl = baseUrl }.CreateAsync(null, new IntegrationCredentialCreate
        {
            Integration_short_name = "trello",
            Name = "webhooks",
            Credentials = new Dictionary<string, string> { ["api_key"] = "k0123456789", ["token"] = "t0123456789", ["app_secret"] = "s0123456789" },
        });
        var cards = await legacyOperations.CreateAsync(null, new WebhookTriggerOperationCreate
        {
            Name = "new cards",
            Webhook_trigger_definition = cardCreated.Id,
            Template_body = "Triage <{card_name}> in {{ list_name }}",
            Status = TriggerOperationStatus.Active,
            Integration_credential = credential.Id,
        });
        Check(cards.Signing_secret == null && cards.Integration_credential == credential.Id && cards.Status == TriggerOperationStatus.Active, "POST /webhook_trigger_operations");
        var unknownField = await Refused<ValidationErrors>(() => operations.CreateAsync(null, new WebhookTriggerOperationCreate { Name = "bad", Webhook_trigger_definition = cardCreated.Id, Template_body = "<{card}>" }));
        Check(unknownField.StatusCode == 422 && unknownField.Result.Errors.Any(e => e.ContainsKey("body.template_body")), "an unknown event field: 422 at body.template_body");
        Check((await operations.GetAsync(cards.Id)).Name == "new cards", "GET /api/v1/webhook_trigger_operations");
        Check((await legacyOperations.GetAsync(orders.Id)).Webhook_url == orders.Webhook_url, "GET /webhook_trigger_operations");
        var activated = await operations.UpdateAsync(new WebhookTriggerOperationUpdate { Id = orders.Id, Status = TriggerOperationStatus.Active });
        Check(activated.Status == TriggerOperationStatus.Active && activated.Template_body == orders.Template_body, "PUT /api/v1/webhook_trigger_operations keeps what it is not sent");
        var renamed = await legacyOperations.UpdateAsync(new WebhookTriggerOperationUpdate { Id = cards.Id, Name = "cards", Template_body = "Triage {{card_name}}" });
        Check(renamed.Name == "cards" && renamed.Integration_credential == credential.Id, "PUT /webhook_trigger_operations");
        // The test set up one more operation, for the deliveries of the webhooks step.
        Check((await operations.ListAsync(0, 10, null)).Count(o => o.Id == orders.Id || o.Id == cards.Id) == 2, "GET /api/v1/webhook_trigger_operations/all");
        Check((await legacyOperations.ListAsync(null, null, cardCreated.Id)).Single().Id == cards.Id, "GET /webhook_trigger_operations/all filtered");

        var runs = new TriggerRunsClient(v1) { BaseUrl = baseUrl };
        var legacyRuns = new LegacyTriggerRunsClient(legacy) { BaseUrl = baseUrl };
        Check((await runs.ListAsync(0, 10, orders.Id, null)).Count == 0, "GET /api/v1/trigger_runs/all");
        // The webhooks step's delivery is the organization's one trigger run.
        Check((await legacyRuns.ListAsync(null, null, null, null)).Count == 1, "GET /trigger_runs/all");
        Check((await Refused<ErrorDetail>(() => runs.GetAsync(Guid.NewGuid()))).StatusCode == 404, "GET /api/v1/trigger_runs of an unknown id: 404");
        Check((await Refused<ErrorDetail>(() => legacyRuns.GetAsync(Guid.NewGuid()))).StatusCode == 404, "GET /trigger_runs of an unknown id: 404");

        var results = new FlowResultsClient(v1) { BaseUrl = baseUrl };
        var legacyResults = new LegacyFlowResultsClient(legacy) { BaseUrl = baseUrl };
        var all = await results.ListAsync(0, 100, null, null, null);
        Check(all.Count >= 2 && all.All(r => r.Integration_entity_id == null), "GET /api/v1/flow_results/all");
        var newest = all.First();
        Check((await legacyResults.ListAsync(null, null, newest.Flow_run_id, null, null)).Single().Id == newest.Id, "GET /flow_results/all filtered by run");
        Check((await results.ListAsync(null, null, null, "trello", "card-1")).Count == 0, "GET /api/v1/flow_results/all filtered by entity");
        Check((await Refused<ErrorDetail>(() => results.FindAsync("card-1", "trello"))).StatusCode == 404, "GET /api/v1/flow_results: none about the card");
        Check((await Refused<ErrorDetail>(() => legacyResults.FindAsync("card-1", "trello"))).StatusCode == 404, "GET /flow_results: none about the card");

        Check((await operations.DeleteAsync(orders.Id)).Deleted_at != null, "DELETE /api/v1/webhook_trigger_operations");
        Check((await legacyOperations.DeleteAsync(cards.Id)).Deleted_at != null, "DELETE /webhook_trigger_operations");
        Check((await Refused<ErrorDetail>(() => operations.GetAsync(orders.Id))).StatusCode == 404, "a deleted operation: 404");
    }

    private static async Task WebhooksAsync(WebhooksClient v1, LegacyWebhooksClient legacy, Guid operation, string secret)
    {
        var body = new Dictionary<string, object> { ["order_id"] = "A-1042", ["total"] = 129.5 };
        // The generated client sends the body as Newtonsoft writes it by default; the signature covers exactly those bytes.
        var raw = Newtonsoft.Json.JsonConvert.SerializeObject(body);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        string signature;
        using (var hmac = new System.Security.Cryptography.HMACSHA256(System.Text.Encoding.UTF8.GetBytes(secret)))
            signature = "sha256=" + Convert.ToHexString(hmac.ComputeHash(System.Text.Encoding.UTF8.GetBytes(timestamp + "." + raw))).ToLowerInvariant();

        var received = await v1.ReceiveAsync(operation, signature, timestamp, "order-A-1042", null, null, null, null, null, null, body);
        Check(received.Status == WebhookReceiptStatus.Received && received.Trigger_run_id != null && received.Challenge == null, "POST /api/v1/webhooks/{operation_id}");
        var repeated = await legacy.ReceiveAsync(operation, signature, timestamp, "order-A-1042", null, null, null, null, null, null, body);
        Check(repeated.Status == WebhookReceiptStatus.Duplicate && repeated.Trigger_run_id == received.Trigger_run_id, "POST /webhooks/{operation_id}: a repeated delivery");
        var forged = await Refused<ErrorDetail>(() => v1.ReceiveAsync(operation, "sha256=" + new string('0', 64), timestamp, null, null, null, null, null, null, null, body));
        Check(forged.StatusCode == 401 && forged.Result.Detail == "Invalid signature", "a forged signature: 401");
        var unknown = await Refused<ErrorDetail>(() => legacy.ReceiveAsync(Guid.NewGuid(), signature, timestamp, null, null, null, null, null, null, null, body));
        Check(unknown.StatusCode == 404, "an unknown operation: 404");
        await v1.CheckAsync(operation);
        await legacy.CheckAsync(operation);
    }

    private static async Task GenerationAsync(
        string surface,
        Func<FlowRequestCreate, Task<FlowRequest>> createRequest,
        Func<Guid?, bool?, string, Task<GeneratedFlowResponse>> generate,
        Func<Guid?, Task<GeneratedFlowResponse>> generateAndSave,
        Func<Guid?, Guid?, Task<FlowRun>> execute,
        Func<Guid?, Task<FlowRun>> executeNewestRequest,
        Func<Guid?, Task<FlowRun>> generateAndExecute)
    {
        const string text = "Send a greeting composed from the request's name";
        FlowRequest request = await createRequest(new FlowRequestCreate
        {
            Request_instructions = text,
            Request_name = "Ada",
            // Without a model the flow's inputs come from the metadata by name (a plan nothing fills is refused, §6).
            Request_metadata = new List<IDictionary<string, object>>
            {
                new Dictionary<string, object> { ["template"] = "Hello, {name}!", ["values"] = new Dictionary<string, object> { ["name"] = "Ada" } },
            },
        });
        // GET saves and links (contract §6 as amended), unless it is a dry run or a bare text.
        GeneratedFlowResponse planned = await generate(request.Id, null, null);
        Check(planned.Id is not null && planned.Created_by_human == false && planned.Task_operations.All(o => o.Sorted_index is not null)
            && planned.Explanation.Length > 0, $"GET {surface}/flows/generate?flow_request_id=");
        GeneratedFlowResponse dryRun = await generate(request.Id, true, null);
        Check(dryRun.Id is null && dryRun.Task_operations.Count == planned.Task_operations.Count, $"GET {surface}/flows/generate?dry_run=true");
        // A bare text has no metadata: the same plan, refused naming the input nothing would fill.
        var byText = await Refused<ValidationErrors>(() => generate(null, null, text));
        Check(byText.StatusCode == 422 && byText.Result.Errors.Any(e => e.TryGetValue("query.request", out var why) && why.Contains("'template'", StringComparison.Ordinal)),
            $"GET {surface}/flows/generate?request=");
        GeneratedFlowResponse saved = await generateAndSave(request.Id);
        Check(saved.Task_operations.Count == planned.Task_operations.Count, $"POST {surface}/flows/generate");
        Check(saved.Id != planned.Id && saved.Created_by_human == false, $"POST {surface}/flows/generate");
        FlowRun run = await execute(saved.Id, request.Id);
        Check(run.Approval_status == ApprovalStatus.Approved, $"POST {surface}/flows/execute");
        // The original's forms: the flow's newest request, and generate + save + execute in one call.
        FlowRun newest = await executeNewestRequest(saved.Id);
        Check(newest.Flow == saved.Id && newest.Flow_request == request.Id && newest.Approval_status == ApprovalStatus.Approved, $"POST {surface}/flows/execute?id=");
        FlowRun generated = await generateAndExecute(request.Id);
        Check(generated.Flow_request == request.Id && generated.Flow != saved.Id && generated.Approval_status == ApprovalStatus.Approved, $"GET {surface}/flows/generate_flow_and_execute");
    }

    /// <summary>An ended run's event stream: its events, then the end, then the server closes it.</summary>
    private static async Task<bool> EventsAsync(Func<Task<FileResponse>> events)
    {
        using var response = await events();
        using var reader = new System.IO.StreamReader(response.Stream);
        var text = await reader.ReadToEndAsync();
        return text.Contains("event: run") && text.Contains("event: task_run") && text.TrimEnd().Split('\n')[^2] == "event: end";
    }

    private static FlowCreate NewFlow(Guid compose, Guid echo) => new()
    {
        Name = "Greeting",
        Task_operations = new List<TaskOperationCreate>
        {
            new()
            {
                Name = "Compose", Task_definition = compose, Index = 0, X = 0, Y = 0,
                Parameters = new Dictionary<string, object>
                {
                    ["template"] = "Hello {customer}",
                    ["values"] = new Dictionary<string, object> { ["customer"] = "{{request.metadata.customer}}" },
                },
            },
            new() { Name = "Echo", Task_definition = echo, Index = 1, Parameters = new Dictionary<string, object> { ["message"] = "{{tasks.0.result.text}}" } },
        },
        Dependencies = new List<TaskDependencyCreate> { new() { Source_task_operation = 0, Target_task_operation = 1 } },
    };

    private static FlowRequestCreate NewRequest(string customer) => new()
    {
        Request_instructions = "Greet the customer by name",
        Request_metadata = new List<IDictionary<string, object>> { new Dictionary<string, object> { ["customer"] = customer } },
    };

    private static async Task V1FlowLifeAsync(FlowsClient flows, FlowRequestsClient requests, FlowRunsClient runs, Guid compose, Guid echo)
    {
        var flow = await flows.CreateAsync(null, NewFlow(compose, echo));
        Check(flow.Task_operations.Count == 2, "POST /api/v1/flows");
        var updated = await flows.UpdateAsync(new FlowUpdate { Id = flow.Id, Name = "Greeting v2", Task_operations = NewFlow(compose, echo).Task_operations, Dependencies = NewFlow(compose, echo).Dependencies });
        Check(updated.Name == "Greeting v2", "PUT /api/v1/flows");
        Check((await flows.GetAsync(flow.Id)).Name == "Greeting v2", "GET /api/v1/flows");
        Check((await flows.ListAsync(0, 100)).Any(f => f.Id == flow.Id), "GET /api/v1/flows/all");

        var request = await requests.CreateAsync(null, NewRequest("Ada"));
        var renamed = await requests.UpdateAsync(new FlowRequestUpdate { Id = request.Id, Request_name = "Greeting Ada", Flow = flow.Id });
        Check(renamed.Request_name == "Greeting Ada" && renamed.Request_instructions == request.Request_instructions && renamed.Flow == flow.Id, "PUT /api/v1/flow_requests keeps what it is not sent");
        Check((await requests.GetAsync(request.Id)).Request_metadata.Single()["customer"].ToString() == "Ada", "GET /api/v1/flow_requests");
        Check((await requests.ListAsync(null, null)).Any(r => r.Id == request.Id), "GET /api/v1/flow_requests/all");

        var idempotencyKey = "scenario-run-" + flow.Id;
        var run = await runs.CreateAsync(idempotencyKey, new FlowRunCreate { Flow = flow.Id, Flow_request = request.Id });
        Check(run.Status == RunStatus.Pending && run.Approval_status == null, "POST /api/v1/flow_runs");
        Check((await runs.CreateAsync(idempotencyKey, new FlowRunCreate { Flow = flow.Id, Flow_request = request.Id })).Id == run.Id, "POST /api/v1/flow_runs with the same Idempotency-Key: the same run");
        Check((await runs.GetWithResultAsync(run.Id)).Flow_result == null, "GET /api/v1/flow_runs/with_flow_result before the end");
        var approved = await runs.ApproveAsync(run.Id);
        Check(approved.Approval_status == ApprovalStatus.Approved, "PUT /api/v1/flow_runs/approve");
        FlowRunWithFlowResult finished = null;
        for (var i = 0; i < 300 && finished?.Flow_result == null; i++)
        {
            await Task.Delay(100);
            finished = await runs.GetWithResultAsync(run.Id);
        }
        Check(finished?.Status == RunStatus.Completed, "the run completes: " + finished?.Status);
        Check(finished.Flow_result.Flow_run_id == run.Id, "with_flow_result carries the run's flow result");
        Check(finished.Task_runs.Single(t => t.Task_operation_index == 1).Result.ToString().Contains("Hello Ada"), "the echo task returns the composed text");
        Check((await runs.GetAsync(run.Id)).Task_runs.Count == 2, "GET /api/v1/flow_runs");
        Check(await EventsAsync(() => runs.EventsAsync(run.Id, null)), "GET /api/v1/flow_runs/events of an ended run: its final state and the end");

        var rejected = await runs.RejectAsync((await runs.CreateAsync(null, new FlowRunCreate { Flow = flow.Id, Flow_request = request.Id })).Id);
        Check(rejected.Status == RunStatus.Cancelled && rejected.Approval_status == ApprovalStatus.Rejected, "PUT /api/v1/flow_runs/reject");
        var open = await runs.CreateAsync(null, new FlowRunCreate { Flow = flow.Id, Flow_request = request.Id, Triggered_by = "scheduler" });
        var conflict = await Refused<ErrorDetail>(() => flows.DeleteAsync(flow.Id));
        Check(conflict.StatusCode == 409 && conflict.Result.Detail.Length > 0, "DELETE /api/v1/flows with an open run: 409 " + conflict.StatusCode);
        Check((await runs.CancelAsync(open.Id)).Status == RunStatus.Cancelled, "PUT /api/v1/flow_runs/cancel");

        Check((await runs.ListAsync(0, 100, "completed", flow.Id, null, null, null)).Single().Id == run.Id, "GET /api/v1/flow_runs/all filtered");
        Check((await runs.ListForFlowAsync(flow.Id, null, null)).Count == 3, "GET /api/v1/flow_runs/all_for_flow_id");
        Check((await runs.PreviewAsync(null, null, null, flow.Id, DateTimeOffset.UtcNow.AddHours(-1), null, null)).All(p => p.Flow_name == "Greeting v2"), "GET /api/v1/flow_runs/preview/all");

        var missing = await Refused<ErrorDetail>(() => requests.GetAsync(Guid.NewGuid()));
        Check(missing.StatusCode == 404, "an unknown id: 404");
        var invalid = await Refused<ValidationErrors>(() => requests.CreateAsync(null, new FlowRequestCreate { Request_instructions = "short" }));
        Check(invalid.StatusCode == 422 && invalid.Result.Errors.Single().ContainsKey("body.request_instructions"), "a short instruction: 422 at its location");

        Check((await requests.DeleteAsync(request.Id)).Deleted_at != null, "DELETE /api/v1/flow_requests");
        Check((await flows.DeleteAsync(flow.Id)).Deleted_at != null, "DELETE /api/v1/flows");
    }

    private static async Task LegacyFlowLifeAsync(LegacyFlowsClient flows, LegacyFlowRequestsClient requests, LegacyFlowRunsClient runs, Guid compose, Guid echo)
    {
        var flow = await flows.CreateAsync(null, NewFlow(compose, echo));
        Check(flow.Task_operations.Count == 2, "POST /flows");
        var updated = await flows.UpdateAsync(new FlowUpdate { Id = flow.Id, Name = "Greeting v2", Task_operations = NewFlow(compose, echo).Task_operations, Dependencies = NewFlow(compose, echo).Dependencies });
        Check(updated.Name == "Greeting v2", "PUT /flows");
        Check((await flows.GetAsync(flow.Id)).Name == "Greeting v2", "GET /flows");
        Check((await flows.ListAsync(0, 100)).Any(f => f.Id == flow.Id), "GET /flows/all");

        var request = await requests.CreateAsync(null, NewRequest("Grace"));
        var renamed = await requests.UpdateAsync(new FlowRequestUpdate { Id = request.Id, Request_name = "Greeting Grace" });
        Check(renamed.Request_name == "Greeting Grace", "PUT /flow_requests");
        Check((await requests.GetAsync(request.Id)).Id == request.Id, "GET /flow_requests");
        Check((await requests.ListAsync(null, null)).Any(r => r.Id == request.Id), "GET /flow_requests/all");

        var run = await runs.CreateAsync(null, new FlowRunCreate { Flow = flow.Id, Flow_request = request.Id });
        Check((await runs.GetWithResultAsync(run.Id)).Result == null, "GET /flow_runs/with_flow_result before the end");
        await runs.ApproveAsync(run.Id);
        FlowRunWithResult finished = null;
        for (var i = 0; i < 300 && finished?.Result == null; i++)
        {
            await Task.Delay(100);
            finished = await runs.GetWithResultAsync(run.Id);
        }
        Check(finished?.Status == RunStatus.Completed, "the run completes: " + finished?.Status);
        Check(finished.Result.Flow_run_id == run.Id, "with_flow_result carries the run's flow result under result");
        Check((await runs.GetAsync(run.Id)).Task_runs.All(t => t.Status == TaskRunStatus.Completed), "GET /flow_runs");
        Check(await EventsAsync(() => runs.EventsAsync(run.Id, null)), "GET /flow_runs/events of an ended run: its final state and the end");

        var rejected = await runs.RejectAsync((await runs.CreateAsync(null, new FlowRunCreate { Flow = flow.Id, Flow_request = request.Id })).Id);
        Check(rejected.Status == RunStatus.Cancelled, "PUT /flow_runs/reject");
        var open = await runs.CreateAsync(null, new FlowRunCreate { Flow = flow.Id, Flow_request = request.Id });
        Check((await runs.CancelAsync(open.Id)).Status == RunStatus.Cancelled, "PUT /flow_runs/cancel");
        var twice = await Refused<ErrorDetail>(() => runs.ApproveAsync(open.Id));
        Check(twice.StatusCode == 409, "approving a cancelled run: 409");

        Check((await runs.ListAsync(null, null, "cancelled", flow.Id, null, null, null)).Count == 2, "GET /flow_runs/all filtered");
        Check((await runs.ListForFlowAsync(flow.Id, 0, 1)).Count == 1, "GET /flow_runs/all_for_flow_id");
        Check((await runs.PreviewAsync(0, 100, null, null, null, null, null)).Any(p => p.Id == run.Id && p.Flow_request_instructions == request.Request_instructions), "GET /flow_runs/preview/all");

        Check((await requests.DeleteAsync(request.Id)).Deleted_at != null, "DELETE /flow_requests");
        Check((await flows.DeleteAsync(flow.Id)).Deleted_at != null, "DELETE /flows");
    }

    /// <summary>§9: run fields and tags, the path alias, retry, and analytics, on both surfaces.</summary>
    private static async Task ObservingRunsAsync(string baseUrl, HttpClient v1, HttpClient legacy, Guid organization, Guid wait, Guid echo)
    {
        var runs = new FlowRunsClient(v1) { BaseUrl = baseUrl };
        var legacyRuns = new LegacyFlowRunsClient(legacy) { BaseUrl = baseUrl };
        var requests = new FlowRequestsClient(v1) { BaseUrl = baseUrl };
        // The run must still be open when it is cancelled: its first task waits as long as the request says, 290 s (under
        // the 300 s limit per attempt, past which Wait fails at once and the run ends before the cancel comes),
        // until the request is changed to no wait for the retry (a Compose → Echo run often ended before the cancel came).
        var flow = await new FlowsClient(v1) { BaseUrl = baseUrl }.CreateAsync(null, new FlowCreate
        {
            Name = "Wait then echo",
            Task_operations = new List<TaskOperationCreate>
            {
                new() { Name = "Wait", Task_definition = wait, Index = 0, Parameters = new Dictionary<string, object> { ["seconds"] = "{{request.metadata.seconds}}" } },
                new() { Name = "Echo", Task_definition = echo, Index = 1, Parameters = new Dictionary<string, object> { ["message"] = "waited" } },
            },
            Dependencies = new List<TaskDependencyCreate> { new() { Source_task_operation = 0, Target_task_operation = 1 } },
        });
        var request = await requests.CreateAsync(null, new FlowRequestCreate
        {
            Request_instructions = "Wait, then say so",
            Request_metadata = new List<IDictionary<string, object>> { new Dictionary<string, object> { ["seconds"] = 290 } },
        });

        var run = await runs.CreateAsync(null, new FlowRunCreate { Flow = flow.Id, Flow_request = request.Id, Approval_status = ApprovalStatus.Approved, Tags = new List<string> { "nightly", "env:test" } });
        Check(run.Run_type == RunType.Api && run.Ran_by_type == RanByType.Api_key && run.Tags.Contains("nightly"), "POST /api/v1/flow_runs records how and by whom");
        FlowRun cancelled;
        try
        {
            cancelled = await legacyRuns.CancelAsync(run.Id);
        }
        catch (ApiException<ErrorDetail> refused)
        {
            // Seen rarely on a loaded machine: say what the run was, so the cause can be found.
            var now = await runs.GetByPathAsync(run.Id);
            throw new InvalidOperationException(
                $"cancel refused ({refused.Result?.Detail}); the run is {now.Status}: {string.Join(" | ", now.Task_runs.Select(t => $"{t.Status}: {t.Error}"))}", refused);
        }
        Check(cancelled.Status == RunStatus.Cancelled && cancelled.Duration_ms != null, "a cancelled run has a duration");
        await requests.UpdateAsync(new FlowRequestUpdate { Id = request.Id, Request_metadata = new List<IDictionary<string, object>> { new Dictionary<string, object> { ["seconds"] = 0 } } });
        var retried = await legacyRuns.RetryAsync(run.Id);
        Check(retried.Status == RunStatus.In_progress && retried.Retry_count == 1, "PUT /flow_runs/retry");
        FlowRun finished = null;
        for (var i = 0; i < 300 && finished?.Status != RunStatus.Completed; i++)
        {
            await Task.Delay(100);
            finished = await runs.GetByPathAsync(run.Id);
        }
        Check(finished?.Status == RunStatus.Completed && finished.Failed_task == null, "GET /api/v1/flow_runs/{id}: the retried run completes");
        Check((await legacyRuns.GetByPathAsync(run.Id)).Id == run.Id, "GET /flow_runs/{id}");
        var again = await Refused<ErrorDetail>(() => runs.RetryAsync(run.Id));
        Check(again.StatusCode == 409, "PUT /api/v1/flow_runs/retry of a completed run: 409");
        Check((await runs.ListAsync(0, 100, null, null, null, null, "nightly")).Single().Id == run.Id, "GET /api/v1/flow_runs/all?tag=");

        var rows = await new AnalyticsClient(v1) { BaseUrl = baseUrl }.RunsAsync(organization, flow.Id, 0, 25, null, null, null, "COMPLETED");
        Check(rows.Single().Run_id == run.Id && rows.Single().Is_flow_successful == true, "GET /api/v1/analytics/org/{org_id}/flows/{flow_id}");
        var legacyRows = await new LegacyAnalyticsClient(legacy) { BaseUrl = baseUrl }.RunsAsync(organization, flow.Id, null, null, DateTimeOffset.UtcNow.AddHours(-1), null, null, null);
        Check(legacyRows.Count == 1, "GET /analytics/org/{org_id}/flows/{flow_id}");
        var summary = await new AnalyticsClient(v1) { BaseUrl = baseUrl }.SummaryAsync(organization, null, null, flow.Id);
        Check(summary.Total_runs == 1 && summary.Counts.COMPLETED == 1 && summary.Success_rate == 1, "GET /api/v1/analytics/org/{org_id}/summary");
        var legacySummary = await new LegacyAnalyticsClient(legacy) { BaseUrl = baseUrl }.SummaryAsync(organization, DateTimeOffset.UtcNow.AddDays(-1), null, null);
        Check(legacySummary.Series.Count >= 1, "GET /analytics/org/{org_id}/summary");
        var foreign = await Refused<ErrorDetail>(() => new AnalyticsClient(v1) { BaseUrl = baseUrl }.SummaryAsync(Guid.NewGuid(), null, null, null));
        Check(foreign.StatusCode == 404, "another organization's analytics: 404");
    }

    private static async Task<ApiException<T>> Refused<T>(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (ApiException<T> e)
        {
            return e;
        }
        throw new InvalidOperationException("expected the server to refuse the call with a documented error");
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
            throw new InvalidOperationException("failed: " + what);
    }
}
