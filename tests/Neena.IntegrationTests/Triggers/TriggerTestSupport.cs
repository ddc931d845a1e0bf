using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Neena.Domain.FlowRequests;
using Neena.Domain.FlowRuns;
using Neena.Domain.Triggers;
using Neena.IntegrationTests.Authoring;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Triggers;

/// <summary>Catalogue look-ups and rows the trigger tests need (the receiver that writes trigger runs is not part of these tests).</summary>
public static class TriggerTestSupport
{
    public static TheoryData<string> Surfaces => new() { "/api/v1", "" };

    public static HttpClient Client(this NeenaFactory factory, TestTenant tenant, string surface) =>
        surface.Length == 0 ? factory.ClientWithApiKeyHeader(tenant.ApiKey) : factory.ClientWithBearer(tenant.ApiKey);

    public static async Task<Guid> TriggerDefinitionIdAsync(this NeenaFactory factory, string integration, string triggerName)
    {
        _ = factory.Server; // the catalogue is synchronised when the server starts
        await using var db = factory.CreateDbContext();
        return await db.WebhookTriggerDefinitions
            .Where(t => t.Integration!.ShortName == integration && t.TriggerName == triggerName)
            .Select(t => t.Id)
            .SingleAsync();
    }

    public static async Task<Guid> IntegrationIdAsync(this NeenaFactory factory, string shortName)
    {
        _ = factory.Server;
        await using var db = factory.CreateDbContext();
        return await db.Integrations.Where(i => i.ShortName == shortName).Select(i => i.Id).SingleAsync();
    }

    public static async Task<JsonNode> PostOkAsync(this HttpClient client, string path, object body)
    {
        var response = await client.PostJsonAsync(path, body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.ReadJsonAsync();
    }

    public static async Task<string> CreateTrelloCredentialAsync(HttpClient client, string name = "Ada's Trello") =>
        (await client.PostOkAsync("/api/v1/integration_credentials/", new
        {
            integration_short_name = "trello",
            name,
            credentials = new { api_key = "k0123456789", token = "t0123456789", app_secret = "s0123456789" },
        }))["id"]!.GetValue<string>();

    public static async Task<string> CreateSlackCredentialAsync(HttpClient client) =>
        (await client.PostOkAsync("/api/v1/integration_credentials/", new
        {
            integration_short_name = "slack",
            name = "bot",
            credentials = new { bot_token = "xoxb-1-2-3", signing_secret = "s0123456789" },
        }))["id"]!.GetValue<string>();

    /// <summary>A generic (Incoming Webhook) operation of the tenant, made through the API.</summary>
    public static async Task<Guid> CreateGenericOperationAsync(NeenaFactory factory, TestTenant tenant, string name = "orders")
    {
        var definition = await factory.TriggerDefinitionIdAsync("core", "Incoming Webhook");
        var body = await factory.ClientWithBearer(tenant.ApiKey).PostOkAsync("/api/v1/webhook_trigger_operations/", new
        {
            name,
            webhook_trigger_definition = definition,
            template_body = "Handle {{ payload }}",
        });
        return Guid.Parse(body["id"]!.GetValue<string>());
    }

    /// <summary>A trigger run as the receiver would store it, written straight to the database.</summary>
    public static async Task<TriggerRun> InsertTriggerRunAsync(
        NeenaFactory factory, TestTenant tenant, Guid operationId, string? entityId = null, string status = TriggerRunStatus.Received, string? error = null)
    {
        await using var db = factory.CreateDbContext(tenant.OrganizationId);
        var run = new TriggerRun
        {
            OrganizationId = tenant.OrganizationId,
            WebhookTriggerOperationId = operationId,
            Status = status,
            Event = new JsonObject { ["action"] = new JsonObject { ["data"] = new JsonObject { ["card"] = new JsonObject { ["id"] = entityId } } } },
            DeliveryId = Guid.NewGuid().ToString("N"),
            IntegrationEntityId = entityId,
            Error = error,
        };
        db.TriggerRuns.Add(run);
        await db.SaveChangesAsync();
        return run;
    }

    /// <summary>A finished run of an echo flow with its flow result, written straight to the database as the engine would leave them.</summary>
    public static async Task<(Guid Run, Guid Result)> InsertFinishedRunAsync(
        NeenaFactory factory, TestTenant tenant, Guid flowId, string? entityId, Guid? integrationId, string body = """{"status": "completed"}""", Guid? triggerRunId = null)
    {
        await using var db = factory.CreateDbContext(tenant.OrganizationId);
        var request = new FlowRequest { OrganizationId = tenant.OrganizationId, RequestInstructions = "Handle the card, please." };
        var now = DateTime.UtcNow;
        var run = new FlowRun
        {
            OrganizationId = tenant.OrganizationId,
            FlowId = flowId,
            FlowRequestId = request.Id,
            Status = RunStatus.Completed,
            ApprovalStatus = ApprovalStatus.Approved,
            TriggeredTime = now,
            StartTime = now,
            EndTime = now,
        };
        var result = new FlowResult
        {
            OrganizationId = tenant.OrganizationId,
            FlowRunId = run.Id,
            Body = body,
            IntegrationEntityId = entityId,
            IntegrationId = integrationId,
            TriggerRunId = triggerRunId,
        };
        db.AddRange(request, run, result);
        await db.SaveChangesAsync();
        return (run.Id, result.Id);
    }

    public static async Task<Guid> CreateFlowAsync(NeenaFactory factory, TestTenant tenant) =>
        Guid.Parse(await FlowsTests.CreateEchoFlowAsync(factory, factory.ClientWithBearer(tenant.ApiKey)));
}
