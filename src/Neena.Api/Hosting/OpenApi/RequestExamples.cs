using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.OpenApi;
using Neena.Api.Contracts.ApiKeys;
using Neena.Api.Contracts.FlowRequests;
using Neena.Api.Contracts.FlowRuns;
using Neena.Api.Contracts.Flows;
using Neena.Api.Contracts.IntegrationCredentials;
using Neena.Api.Contracts.Notifications;
using Neena.Api.Contracts.Triggers;
using Neena.Api.Contracts.Users;
using Neena.Persistence;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Neena.Api.Hosting.OpenApi;

/// <summary>
/// A realistic example for every request body, which the server accepts as it stands. Ids of the caller's own
/// resources cannot be known in advance: the examples hold the placeholders below, to be replaced by ids of your own
/// (the OpenAPI tests substitute resources they created). Task definitions are global, so the document shows the live
/// ids of the catalogue's tasks (<see cref="CatalogueIdsFilter"/>).
/// </summary>
internal static class RequestExamples
{
    public const string FlowId = "0196b0a4-6c1e-7d2f-8a3b-4c5d6e7f8a90";
    public const string FlowRequestId = "0196b0a4-6c1e-7d2f-8a3b-4c5d6e7f8a91";
    public const string ComposeTextTaskDefinitionId = "0196b0a4-6c1e-7d2f-8a3b-4c5d6e7f8a92";
    public const string EchoTaskDefinitionId = "0196b0a4-6c1e-7d2f-8a3b-4c5d6e7f8a93";
    public const string IncomingWebhookTriggerDefinitionId = "0196b0a4-6c1e-7d2f-8a3b-4c5d6e7f8a94";
    public const string WebhookTriggerOperationId = "0196b0a4-6c1e-7d2f-8a3b-4c5d6e7f8a95";
    public const string ApprovalTaskDefinitionId = "0196b0a4-6c1e-7d2f-8a3b-4c5d6e7f8a96";
    public const string ScheduleTriggerOperationId = "0196b0a4-6c1e-7d2f-8a3b-4c5d6e7f8a97";
    public const string NotificationSubscriptionId = "0196b0a4-6c1e-7d2f-8a3b-4c5d6e7f8a98";

    /// <summary>A public address (TEST-NET-3, never routed), so the example passes the address guard without a DNS lookup.</summary>
    public const string NotificationUrl = "https://203.0.113.10/neena/events";
    public const string UserEmail = "ada@example.com";
    public const string UserAuth0Id = "auth0|6650f1d2c3b4a5e6f7a8b9c0";

    /// <summary>The catalogue tasks (integration short name, task name) whose ids the examples use.</summary>
    public static readonly IReadOnlyDictionary<string, (string Integration, string Task)> CatalogueTasks = new Dictionary<string, (string, string)>
    {
        [ComposeTextTaskDefinitionId] = ("core", "Compose Text"),
        [EchoTaskDefinitionId] = ("core", "Echo"),
        [ApprovalTaskDefinitionId] = ("core", "Approval"),
    };

    /// <summary>The catalogue triggers (integration short name, trigger name) whose ids the examples use.</summary>
    public static readonly IReadOnlyDictionary<string, (string Integration, string Trigger)> CatalogueTriggers = new Dictionary<string, (string, string)>
    {
        [IncomingWebhookTriggerDefinitionId] = ("core", "Incoming Webhook"),
    };

    public static JsonNode? For(Type body, DateTime now) => body switch
    {
        _ when body == typeof(TaskAnswerRequest) => new JsonObject { ["comment"] = "Checked the amount with the customer; go ahead." },
        _ when body == typeof(CreateApiKeyRequest) => new JsonObject
        {
            ["name"] = "reporting-script",
            ["permissions"] = new JsonArray("read"),
            ["expires_at"] = now.Date.AddDays(90).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        },
        _ when body == typeof(CreateUserRequest) => new JsonObject
        {
            ["email"] = UserEmail,
            ["full_name"] = "Ada Lovelace",
            ["auth0_id"] = UserAuth0Id,
        },
        _ when body == typeof(UpdateUserRequest) => new JsonObject { ["full_name"] = "Ada King, Countess of Lovelace" },
        _ when body == typeof(CreateFlowRequestRequest) => new JsonObject
        {
            ["request_instructions"] = "Post the weekly sales summary for Acme",
            ["request_metadata"] = new JsonArray(new JsonObject { ["customer"] = "Acme", ["region"] = "EMEA" }),
            ["request_name"] = "Weekly sales summary",
        },
        _ when body == typeof(UpdateFlowRequestRequest) => new JsonObject
        {
            ["id"] = FlowRequestId,
            ["request_instructions"] = "Post the weekly sales summary for Acme, EMEA only",
            ["request_name"] = "Weekly sales summary (EMEA)",
            ["flow"] = FlowId,
        },
        _ when body == typeof(UpdateFlowRequest) => Flow(FlowId),
        _ when body == typeof(FlowBody) => Flow(null),
        _ when body == typeof(CreateIntegrationCredentialRequest) => new JsonObject
        {
            ["integration_short_name"] = "trello",
            ["name"] = "Ada's Trello",
            ["credentials"] = new JsonObject
            {
                ["api_key"] = "0123456789abcdef0123456789abcdef",
                ["token"] = "ATTA0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                ["app_secret"] = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
            },
        },
        _ when body == typeof(CreateWebhookTriggerOperationRequest) => new JsonObject
        {
            ["name"] = "Orders from the shop",
            ["webhook_trigger_definition"] = IncomingWebhookTriggerDefinitionId,
            ["template_body"] = "Post the weekly sales summary for this order: {{ payload }}",
            ["status"] = "active",
            ["flow"] = FlowId,
        },
        _ when body == typeof(UpdateWebhookTriggerOperationRequest) => new JsonObject
        {
            ["id"] = WebhookTriggerOperationId,
            ["name"] = "Orders from the shop (EMEA)",
            ["template_body"] = "Post the weekly sales summary for this EMEA order: <{payload}>",
            ["status"] = "inactive",
            ["flow"] = FlowId,
        },
        _ when body == typeof(CreateScheduleTriggerOperationRequest) => new JsonObject
        {
            ["name"] = "Weekly sales summary",
            ["cron"] = "0 9 * * 1",
            ["time_zone"] = "Europe/Amsterdam",
            ["template_body"] = "Post the weekly sales summary (<{schedule_name}>, week of <{fire_time}>)",
            ["flow"] = FlowId,
            ["requires_approval"] = false,
            ["status"] = "active",
            ["missed_fires"] = "run_once",
        },
        _ when body == typeof(UpdateScheduleTriggerOperationRequest) => new JsonObject
        {
            ["id"] = ScheduleTriggerOperationId,
            ["cron"] = "30 8 * * 1-5",
            ["missed_fires"] = "skip",
            ["requires_approval"] = true,
        },
        _ when body == typeof(CreateNotificationSubscriptionRequest) => new JsonObject
        {
            ["url"] = NotificationUrl,
            ["events"] = new JsonArray("run.failed", "task.awaiting_approval"),
            ["active"] = true,
            ["description"] = "Tell the ops channel when a run fails or waits for someone",
        },
        _ when body == typeof(UpdateNotificationSubscriptionRequest) => new JsonObject
        {
            ["id"] = NotificationSubscriptionId,
            ["url"] = NotificationUrl,
            ["events"] = new JsonArray("run.failed", "run.awaiting_approval", "trigger_run.failed"),
            ["active"] = true,
            ["description"] = "Failures and approvals, for the ops channel",
        },
        _ when body == typeof(CreateFlowRunRequest) => new JsonObject
        {
            ["flow"] = FlowId,
            ["flow_request"] = FlowRequestId,
            ["triggered_by"] = UserEmail,
        },
        _ => null,
    };

    /// <summary>
    /// A flow that uses every field of a flow that decides (issue 20): a condition on a dependency, an approval step, a
    /// <c>for_each</c> with <c>{{item…}}</c> bindings that tolerates failures, and an <c>any</c> join where the branches meet.
    /// Only the first operation and dependency stay plain: the document tests mutate those field by field.
    /// </summary>
    private static JsonObject Flow(string? id)
    {
        var flow = new JsonObject();
        if (id is not null)
            flow["id"] = id;
        flow["name"] = "Weekly sales summary";
        flow["task_operations"] = new JsonArray(
            new JsonObject
            {
                ["name"] = "Write the summary line",
                ["task_definition"] = ComposeTextTaskDefinitionId,
                ["instruction"] = "Name the customer in the summary",
                ["x"] = 0,
                ["y"] = 0,
                ["index"] = 0,
                ["parameters"] = new JsonObject
                {
                    ["template"] = "Weekly sales summary for {customer}",
                    ["values"] = new JsonObject { ["customer"] = "{{request.metadata.customer}}" },
                },
                // Core tasks take no credential; a Slack or Trello operation may name one of the organization's here.
                ["integration_credential"] = null,
            },
            new JsonObject
            {
                ["name"] = "Pass the line on",
                ["task_definition"] = EchoTaskDefinitionId,
                ["x"] = 240,
                ["y"] = 0,
                ["index"] = 1,
                ["parameters"] = new JsonObject { ["message"] = "{{tasks.0.result.text}}" },
            },
            new JsonObject
            {
                ["name"] = "Ask the account manager",
                ["task_definition"] = ApprovalTaskDefinitionId,
                ["x"] = 480,
                ["y"] = 0,
                ["index"] = 2,
                ["parameters"] = new JsonObject
                {
                    ["message"] = "Post the summary for a key account? {{tasks.1.result.message}}",
                    ["timeout_seconds"] = 86400,
                },
            },
            new JsonObject
            {
                ["name"] = "Post one line per region",
                ["task_definition"] = EchoTaskDefinitionId,
                ["x"] = 720,
                ["y"] = 0,
                ["index"] = 3,
                ["for_each"] = "{{request.metadata.regions}}",
                ["parameters"] = new JsonObject { ["message"] = "Region {{item_index}}: {{item.name}} ({{item.sales}})" },
                // One region that fails does not stop the summary.
                ["continue_on_failure"] = true,
            },
            new JsonObject
            {
                ["name"] = "Report what was posted",
                ["task_definition"] = EchoTaskDefinitionId,
                ["x"] = 960,
                ["y"] = 120,
                ["index"] = 4,
                ["join"] = "any",
                ["parameters"] = new JsonObject { ["message"] = "Regions: {{tasks.3.status}}" },
            });
        flow["dependencies"] = new JsonArray(
            new JsonObject
            {
                ["source_task_operation"] = 0,
                ["target_task_operation"] = 1,
                ["instruction"] = "The line comes from the first task",
            },
            new JsonObject
            {
                ["source_task_operation"] = 1,
                ["target_task_operation"] = 2,
                ["condition"] = KeyAccount("eq"),
            },
            new JsonObject { ["source_task_operation"] = 2, ["target_task_operation"] = 3 },
            new JsonObject { ["source_task_operation"] = 3, ["target_task_operation"] = 4 },
            // Other customers skip the approval and the regions; the any join still reports.
            new JsonObject
            {
                ["source_task_operation"] = 1,
                ["target_task_operation"] = 4,
                ["condition"] = KeyAccount("ne"),
            });
        return flow;
    }

    private static JsonObject KeyAccount(string op) => new()
    {
        ["any"] = new JsonArray(new JsonObject
        {
            ["all"] = new JsonArray(new JsonObject { ["left"] = "{{request.metadata.customer}}", ["op"] = op, ["right"] = "Acme" }),
        }),
    };
}

/// <summary>Puts each request body's example on its JSON media types, where Swagger UI's "Try it out" starts from.</summary>
internal sealed class RequestExampleFilter(TimeProvider time) : IRequestBodyFilter
{
    public void Apply(IOpenApiRequestBody requestBody, RequestBodyFilterContext context)
    {
        if (context.BodyParameterDescription?.Type is not { } type || requestBody.Content is null)
            return;
        foreach (var (contentType, media) in requestBody.Content)
        {
            if (contentType.Contains("json", StringComparison.Ordinal) && RequestExamples.For(type, time.GetUtcNow().UtcDateTime) is { } example)
                media.Example = example;
        }
    }
}

/// <summary>
/// Swaps the examples' task and trigger definition placeholders for the live ids of the same catalogue entries, so an example
/// is accepted as it stands. Without a database the placeholders stay, and the document is still served.
/// </summary>
internal sealed class CatalogueIdsFilter(IServiceScopeFactory scopes, ILogger<CatalogueIdsFilter> logger) : IDocumentAsyncFilter
{
    public async Task ApplyAsync(OpenApiDocument document, DocumentFilterContext context, CancellationToken cancellationToken)
    {
        Dictionary<string, string> ids;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<NeenaDbContext>();
            var rows = await db.TaskDefinitions.AsNoTracking()
                .Where(t => t.Integration!.ShortName == "core")
                .Select(t => new { Integration = t.Integration!.ShortName, Name = t.TaskName, t.Id })
                .ToListAsync(cancellationToken);
            var triggers = await db.WebhookTriggerDefinitions.AsNoTracking()
                .Where(t => t.Integration!.ShortName == "core")
                .Select(t => new { Integration = t.Integration!.ShortName, Name = t.TriggerName, t.Id })
                .ToListAsync(cancellationToken);
            ids = RequestExamples.CatalogueTasks
                .Select(p => (Placeholder: p.Key, Row: rows.FirstOrDefault(r => r.Integration == p.Value.Integration && r.Name == p.Value.Task)))
                .Concat(RequestExamples.CatalogueTriggers
                    .Select(p => (Placeholder: p.Key, Row: triggers.FirstOrDefault(r => r.Integration == p.Value.Integration && r.Name == p.Value.Trigger))))
                .Where(p => p.Row is not null)
                .ToDictionary(p => p.Placeholder, p => p.Row!.Id.ToString());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "The OpenAPI examples keep placeholder task definition ids: the catalogue could not be read");
            return;
        }

        var media = document.Paths.Values
            .Where(p => p.Operations is not null)
            .SelectMany(p => p.Operations!.Values)
            .SelectMany(o => o.RequestBody?.Content?.Values ?? []);
        foreach (var item in media)
        {
            if (item.Example is { } example)
                item.Example = Replace(example, ids);
        }
    }

    private static JsonNode Replace(JsonNode node, IReadOnlyDictionary<string, string> ids) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, p.Value is null ? null : Replace(p.Value, ids)))),
        JsonArray array => new JsonArray([.. array.Select(i => i is null ? null : Replace(i, ids))]),
        JsonValue value when value.TryGetValue<string>(out var text) && ids.TryGetValue(text, out var id) => JsonValue.Create(id),
        _ => node.DeepClone(),
    };
}
