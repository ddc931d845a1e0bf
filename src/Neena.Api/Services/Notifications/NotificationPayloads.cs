using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Neena.Api.Errors;
using Neena.Domain.Notifications;
using Neena.Persistence;
using Neena.Persistence.Notifications;

namespace Neena.Api.Services.Notifications;

/// <summary>
/// Builds a notification's body, <c>{type, timestamp, data}</c>, with <c>data</c> the run or trigger run as the read
/// endpoints show it (same services, same JSON settings), acting for the entry's organization.
/// </summary>
internal sealed class NotificationPayloads(
    NeenaDbContext db,
    BackgroundTenantContext tenant,
    TriggerRunService triggerRuns,
    IOptions<Microsoft.AspNetCore.Mvc.JsonOptions> json)
{
    public const string Actor = "notifications";

    public async Task<string> BuildAsync(ClaimedNotification entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var options = json.Value.JsonSerializerOptions;
        JsonNode? data;
        using (tenant.ActFor(entry.OrganizationId, Actor))
        {
            data = entry switch
            {
                { EventType: NotificationEventType.Ping } => new JsonObject { ["subscription_id"] = entry.SubscriptionId.ToString("D") },
                { SubjectId: null } => null,
                { EventType: NotificationEventType.TriggerRunFailed, SubjectId: { } id } => JsonSerializer.SerializeToNode(await TriggerRunAsync(id, cancellationToken), options),
                { SubjectId: { } id } => JsonSerializer.SerializeToNode(await FlowRunReads.GetAsync(db, id, cancellationToken), options),
            };
        }
        var body = new JsonObject
        {
            ["type"] = entry.EventType,
            ["timestamp"] = JsonSerializer.SerializeToNode(DateTime.SpecifyKind(entry.CreatedDate, DateTimeKind.Utc), options),
            ["data"] = data,
        };
        return body.ToJsonString(options);
    }

    // Deleted meanwhile (retention): the event is still told, without its data.
    private async Task<Contracts.Triggers.TriggerRunResponse?> TriggerRunAsync(Guid id, CancellationToken cancellationToken)
    {
        try
        {
            return await triggerRuns.GetAsync(id, cancellationToken);
        }
        catch (ApiException)
        {
            return null;
        }
    }
}
