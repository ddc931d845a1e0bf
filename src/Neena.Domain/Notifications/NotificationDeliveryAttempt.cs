using Neena.Domain.Common;

namespace Neena.Domain.Notifications;

/// <summary>What one attempt of an outbox entry's delivery came to, as <c>deliveries</c> lists it.</summary>
public static class NotificationAttemptOutcome
{
    /// <summary>The receiver answered 2xx: the delivery is over.</summary>
    public const string Delivered = "delivered";

    /// <summary>No 2xx; another attempt follows at <see cref="NotificationDeliveryAttempt.NextAttemptAt"/>.</summary>
    public const string Retrying = "retrying";

    /// <summary>No 2xx, and no attempt follows (the retry window closed, or the subscription is gone).</summary>
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Delivered, Retrying, Failed];
}

/// <summary>One attempt to deliver an outbox entry, written with the entry's new state in one statement.</summary>
public sealed class NotificationDeliveryAttempt : ITenantOwned, IHasId
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OutboxId { get; set; }
    public Guid SubscriptionId { get; set; }
    public Guid OrganizationId { get; set; }
    public required string EventType { get; set; }

    /// <summary>The attempt's number (1 for the first).</summary>
    public int Attempt { get; set; }

    public required string Status { get; set; }
    public int? ResponseCode { get; set; }
    public string? Error { get; set; }
    public DateTime? NextAttemptAt { get; set; }
    public DateTime CreatedDate { get; set; }
}
