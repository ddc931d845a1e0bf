using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Neena.Domain.Triggers;
using Neena.Integrations.Triggers;
using Neena.IntegrationTests.Infrastructure;
using Npgsql;

namespace Neena.IntegrationTests.Triggers;

/// <summary>
/// The server with its engine and trigger run processor, the Slack and Trello stand-ins, and a public base URL (the one
/// Trello would have been given). Polling is quick, so that lease expiries and retries are seen within a second.
/// </summary>
public class WebhookFactory : PlatformFactory
{
    public const string PublicBaseUrl = "https://neena.example.test/base";

    protected override IDictionary<string, string?> ExtraSettings
    {
        get
        {
            var settings = base.ExtraSettings;
            settings["Engine:Enabled"] = "true";
            settings["Engine:RetryBaseDelayMilliseconds"] = "50";
            settings["Engine:ShutdownGraceSeconds"] = "1";
            settings["Webhooks:PublicBaseUrl"] = PublicBaseUrl;
            settings["Webhooks:PollIntervalSeconds"] = "0.5";
            settings["Webhooks:RetryBaseDelaySeconds"] = "0.2";
            settings["Webhooks:RetryMaxDelaySeconds"] = "1";
            return settings;
        }
    }
}

/// <summary>The receiver alone: no processor, so stored deliveries stay as they arrived.</summary>
public sealed class ReceiverOnlyFactory : WebhookFactory
{
    protected override IDictionary<string, string?> ExtraSettings
    {
        get
        {
            var settings = base.ExtraSettings;
            settings["Engine:Enabled"] = "false";
            settings["Webhooks:ProcessorEnabled"] = "false";
            return settings;
        }
    }
}

public static class WebhookTestSupport
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A trigger operation of the tenant, stored directly (its CRUD API is not part of this suite): the named trigger, the
    /// template, and for the core Incoming Webhook a signing secret protected as the server protects it.
    /// </summary>
    public static async Task<Guid> CreateOperationAsync(
        this NeenaFactory factory,
        TestTenant tenant,
        string integration,
        string trigger,
        string template,
        Guid? flowId = null,
        string status = TriggerOperationStatus.Active,
        string? signingSecret = null,
        Guid? credentialId = null,
        bool? requiresApproval = null)
    {
        _ = factory.Services; // starts the server (TestServer or Kestrel), which synchronises the catalogue
        await using var db = factory.CreateDbContext(tenant.OrganizationId);
        var definition = await db.WebhookTriggerDefinitions
            .Where(d => d.Integration!.ShortName == integration && d.TriggerName == trigger)
            .Select(d => d.Id)
            .SingleAsync();
        var operation = new WebhookTriggerOperation
        {
            OrganizationId = tenant.OrganizationId,
            Name = $"{trigger} → flow",
            WebhookTriggerDefinitionId = definition,
            TemplateBody = template,
            Status = status,
            FlowId = flowId,
            IntegrationCredentialId = credentialId,
            // As the API sets it when the client does not say (§11).
            RequiresApproval = requiresApproval ?? TriggerApprovalPolicy.RequiresApprovalByDefault(flowId),
            CreatedByEmail = tenant.Email,
        };
        if (signingSecret is not null)
            operation.ProtectedSigningSecret = factory.Services.GetRequiredService<SigningSecretProtector>().Protect(tenant.OrganizationId, operation.Id, signingSecret);
        db.WebhookTriggerOperations.Add(operation);
        await db.SaveChangesAsync();
        return operation.Id;
    }

    /// <summary>The webhook URL the server computes (and Trello would have been given): the public base URL, then <c>/webhooks/{id}</c>.</summary>
    public static string WebhookUrl(Guid operationId) => $"{WebhookFactory.PublicBaseUrl}/webhooks/{operationId}";

    /// <summary>The path the test client posts to (the test server answers any host).</summary>
    public static string Path(Guid operationId, bool v1 = false) => $"{(v1 ? "/api/v1" : "")}/webhooks/{operationId}";

    /// <summary>Stores a credential through the API and returns its id.</summary>
    public static async Task<Guid> StoreCredentialAsync(HttpClient client, string integration, Dictionary<string, string> fields, string name = "webhooks")
    {
        var response = await client.PostJsonAsync("/api/v1/integration_credentials/", new { integration_short_name = integration, name, credentials = fields });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return Guid.Parse((await response.ReadJsonAsync())["id"]!.GetValue<string>());
    }

    public static async Task<long> CountAsync(this NeenaFactory factory, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
            command.Parameters.AddWithValue(p);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>What a test checks of an organization: its trigger runs, flow requests and flow runs.</summary>
    public static async Task<(long TriggerRuns, long FlowRequests, long FlowRuns)> RowsAsync(this NeenaFactory factory, TestTenant tenant) => (
        await factory.CountAsync("SELECT count(*) FROM trigger_runs WHERE organization_id = $1", tenant.OrganizationId),
        await factory.CountAsync("SELECT count(*) FROM flow_requests WHERE organization_id = $1", tenant.OrganizationId),
        await factory.CountAsync("SELECT count(*) FROM flow_runs WHERE organization_id = $1", tenant.OrganizationId));

    public static async Task<TriggerRun> TriggerRunAsync(this NeenaFactory factory, Guid id)
    {
        await using var db = factory.CreateDbContext();
        return await db.TriggerRuns.IgnoreQueryFilters().AsNoTracking().SingleAsync(t => t.Id == id);
    }

    /// <summary>Polls the trigger run until it is completed or failed.</summary>
    public static async Task<TriggerRun> WaitForTriggerRunAsync(this NeenaFactory factory, Guid id, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Timeout);
        TriggerRun run;
        do
        {
            run = await factory.TriggerRunAsync(id);
            if (run.Status is TriggerRunStatus.Completed or TriggerRunStatus.Failed)
                return run;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"Trigger run {id} did not finish in time; last seen {run.Status} (attempts {run.Attempts}, error {run.Error}, lease {run.LeaseOwner})");
        return run;
    }

    public static async Task<Guid> TriggerRunIdAsync(HttpResponseMessage response) =>
        Guid.Parse((await response.ReadJsonAsync())["trigger_run_id"]!.GetValue<string>());

    public static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();
}

/// <summary>The receiver alone on a real loopback port, so that Kestrel parses the framing (chunked bodies at the limit).</summary>
public sealed class KestrelReceiverFactory : WebhookFactory
{
    public KestrelReceiverFactory() => UseKestrel(0);

    protected override IDictionary<string, string?> ExtraSettings
    {
        get
        {
            var settings = base.ExtraSettings;
            settings["Engine:Enabled"] = "false";
            settings["Webhooks:ProcessorEnabled"] = "false";
            return settings;
        }
    }

    public Uri Address
    {
        get
        {
            StartServer();
            return new Uri(Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
                .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First());
        }
    }
}
