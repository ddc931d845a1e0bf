using System.Text.Json.Nodes;
using Neena.Domain.Common;

namespace Neena.Domain.Triggers;

public static class TriggerRunStatus
{
    public const string Received = "received";
    public const string Processing = "processing";
    public const string Completed = "completed";
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Received, Processing, Completed, Failed];
}

/// <summary>
/// One accepted delivery of a platform event. It is stored before the platform gets its answer, then processed in the
/// background under a lease (like a flow run) into a flow request and an approved run, so a crash in between loses nothing.
/// </summary>
public sealed class TriggerRun : ITenantOwned, IAudited, IHasId
{
    public const int MaxDeliveryIdLength = 255;
    public const int MaxEntityIdLength = 255;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    /// <summary>The webhook operation whose delivery this is; null for a schedule's fire.</summary>
    public Guid? WebhookTriggerOperationId { get; set; }

    /// <summary>The schedule whose slot this is; null for a webhook delivery. Exactly one of the two is set.</summary>
    public Guid? ScheduleTriggerOperationId { get; set; }

    /// <summary>
    /// The schedule's slot (UTC) this run fires for: unique per schedule, so every instance that decides to fire the same slot
    /// inserts the same row and only one succeeds. Null for a webhook delivery.
    /// </summary>
    public DateTime? FireTime { get; set; }
    public string Status { get; set; } = TriggerRunStatus.Received;

    /// <summary>The delivered JSON as received.</summary>
    public JsonNode? Event { get; set; }

    /// <summary>
    /// The platform's id of the delivery (Slack <c>event_id</c>, Trello <c>action.id</c>, <c>X-Neena-Delivery</c>): unique per
    /// operation, so a repeated delivery is recognised and processed once. Null when the delivery carries none.
    /// </summary>
    public string? DeliveryId { get; set; }

    /// <summary>The value of the trigger definition's entity field in this event (a Trello card id).</summary>
    public string? IntegrationEntityId { get; set; }

    public Guid? FlowRequestId { get; set; }
    public Guid? FlowRunId { get; set; }
    public string? Error { get; set; }

    /// <summary>The instance processing the delivery; null when nobody is.</summary>
    public string? LeaseOwner { get; set; }

    public DateTime? LeaseExpiresAt { get; set; }

    /// <summary>Claims so far: a delivery that keeps failing its processor is failed once this passes the limit.</summary>
    public int Attempts { get; set; }

    public DateTime CreatedDate { get; set; }
    public DateTime ModifiedDate { get; set; }
    public string? CreatedByEmail { get; set; }
    public string? ModifiedByEmail { get; set; }
}
