using System.Text.Json.Nodes;
using Neena.Domain.Common;

namespace Neena.Domain.Notifications;

public static class NotificationDeliveryStatus
{
    /// <summary>Waiting for its first or next attempt (at <see cref="NotificationOutboxEntry.NextAttemptAt"/>).</summary>
    public const string Pending = "pending";

    /// <summary>An instance is sending it under its lease.</summary>
    public const string Delivering = "delivering";

    /// <summary>The receiver answered 2xx.</summary>
    public const string Delivered = "delivered";

    /// <summary>Given up: no 2xx within the retry window (24 h), or the subscription is gone.</summary>
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Pending, Delivering, Delivered, Failed];
}

/// <summary>
/// One event for one subscription, written in the same transaction as the state change it reports, then delivered in the
/// background (a leased queue, like trigger runs) until the receiver answers 2xx or the retry window closes. Its
/// <see cref="Id"/> is the delivery's <c>webhook-id</c>, the same on every attempt, so receivers can deduplicate.
/// </summary>
public sealed class NotificationOutboxEntry : ITenantOwned, IHasId
{
    public const int MaxErrorLength = 2000;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid SubscriptionId { get; set; }
    public Guid OrganizationId { get; set; }
    public required string EventType { get; set; }

    /// <summary>The run or trigger run the event is about (null for a ping); the payload's <c>data</c> is read from it at the first attempt.</summary>
    public Guid? SubjectId { get; set; }

    /// <summary>The body sent, <c>{type, timestamp, data}</c>, fixed when the event is written so retries send the same bytes' meaning.</summary>
    public JsonNode? Payload { get; set; }

    public string Status { get; set; } = NotificationDeliveryStatus.Pending;

    /// <summary>Attempts made (claims of the row), shown in the deliveries log.</summary>
    public int Attempts { get; set; }

    public DateTime NextAttemptAt { get; set; }

    /// <summary>The HTTP status of the last attempt's answer; null before any answer (or when none came: see <see cref="LastError"/>).</summary>
    public int? LastResponseCode { get; set; }

    public string? LastError { get; set; }
    public DateTime? DeliveredAt { get; set; }

    /// <summary>The instance delivering it; null when nobody is.</summary>
    public string? LeaseOwner { get; set; }

    public DateTime? LeaseExpiresAt { get; set; }
    public DateTime CreatedDate { get; set; }
}
