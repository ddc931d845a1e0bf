using Neena.Domain.Common;

namespace Neena.Domain.Notifications;

/// <summary>The events a notification subscription may ask for (contract §11), plus the test <see cref="Ping"/>.</summary>
public static class NotificationEventType
{
    public const string RunAwaitingApproval = "run.awaiting_approval";
    public const string RunCompleted = "run.completed";
    public const string RunFailed = "run.failed";
    public const string TaskAwaitingApproval = "task.awaiting_approval";
    public const string TriggerRunFailed = "trigger_run.failed";

    /// <summary>Sent only by <c>POST /notification_subscriptions/test</c>, whatever the subscription's events.</summary>
    public const string Ping = "ping";

    /// <summary>The events a subscription can list.</summary>
    public static readonly IReadOnlyList<string> Subscribable = [RunAwaitingApproval, RunCompleted, RunFailed, TaskAwaitingApproval, TriggerRunFailed];
}

/// <summary>
/// An organization's request to be told of events: each matching event is written to the outbox with the state change
/// that caused it and POSTed to <see cref="Url"/>, signed with the subscription's secret as Standard Webhooks defines.
/// </summary>
public sealed class NotificationSubscription : ITenantOwned, IAudited, ISoftDeletable, IHasId
{
    public const int MaxUrlLength = 2048;
    public const int MaxDescriptionLength = 1000;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public required string Url { get; set; }

    /// <summary>Event types from <see cref="NotificationEventType.Subscribable"/>, each once.</summary>
    public List<string> Events { get; set; } = [];

    public bool Active { get; set; } = true;
    public string? Description { get; set; }

    /// <summary>
    /// The signing secret, encrypted with Data Protection (the sender needs the value itself to sign, so a hash cannot do).
    /// Shown once, when the subscription is created; null once the subscription is deleted.
    /// </summary>
    public string? ProtectedSecret { get; set; }

    public DateTime CreatedDate { get; set; }
    public DateTime ModifiedDate { get; set; }
    public string? CreatedByEmail { get; set; }
    public string? ModifiedByEmail { get; set; }
    public DateTime? DeletedAt { get; set; }

    /// <summary>Deletes the subscription and destroys its secret: nothing more can be signed for it, nor the secret recovered.</summary>
    public void Delete(DateTime now)
    {
        DeletedAt = now;
        Active = false;
        ProtectedSecret = null;
    }
}
