using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Neena.Api.Contracts.Common;
using Neena.Domain.Triggers;

namespace Neena.Api.Contracts.Triggers;

/// <summary>The optional filter of <c>/trigger_runs/all</c>.</summary>
public sealed record TriggerRunFilter
{
    /// <summary>Only the deliveries to this webhook trigger operation (404 when it is not one of your organization's).</summary>
    [FromQuery(Name = "webhook_trigger_operation_id")]
    public Guid? WebhookTriggerOperationId { get; init; }

    /// <summary>Only the fires of this schedule trigger operation (404 when it is not one of your organization's).</summary>
    [FromQuery(Name = "schedule_trigger_operation_id")]
    public Guid? ScheduleTriggerOperationId { get; init; }
}

/// <summary>One delivery of a platform event to a webhook trigger operation, or one fire of a schedule, and what became of it.</summary>
/// <param name="WebhookTriggerOperation">The id of the webhook operation the event was delivered to; null for a schedule's fire.</param>
/// <param name="Status"><c>received</c> → <c>processing</c> → <c>completed</c> (its flow run was created) or <c>failed</c>.</param>
/// <param name="Event">The delivered JSON, as received.</param>
/// <param name="IntegrationEntityId">The platform entity the event is about (the definition's entity field), if any.</param>
/// <param name="FlowRequest">The flow request made from the event, once there is one.</param>
/// <param name="FlowRun">The flow run started for the event, once there is one.</param>
/// <param name="Error">Why processing failed.</param>
/// <param name="ScheduleTriggerOperation">The id of the schedule that fired; null for a webhook delivery.</param>
/// <param name="FireTime">The schedule's slot (UTC) this run fired for; null for a webhook delivery.</param>
[OutputSchema("TriggerRun")]
public sealed record TriggerRunResponse(
    Guid Id,
    Guid? WebhookTriggerOperation,
    [property: ApiField(ValuesOf = typeof(TriggerRunStatus))] string Status,
    JsonNode? Event,
    string? IntegrationEntityId,
    Guid? FlowRequest,
    Guid? FlowRun,
    string? Error,
    DateTime CreatedDate,
    DateTime ModifiedDate,
    Guid? ScheduleTriggerOperation,
    DateTime? FireTime);
