using FluentValidation;
using FluentValidation.Results;
using Neena.Api.Contracts.Common;
using Neena.Domain.Notifications;

namespace Neena.Api.Contracts.Notifications;

/// <summary>A subscription of your organization to events, delivered to <c>url</c> signed as Standard Webhooks defines.</summary>
[InputSchema("NotificationSubscriptionCreate")]
public sealed record CreateNotificationSubscriptionRequest
{
    /// <summary>An absolute http(s) URL that receives the events (at most 2048 characters); private and loopback addresses are refused unless <c>Integrations:Http</c> allows them.</summary>
    [ApiField(Required = true)]
    public string? Url { get; init; }

    /// <summary>The events to deliver (at least one).</summary>
    [ApiField(Required = true, Values = [NotificationEventType.RunAwaitingApproval, NotificationEventType.RunCompleted, NotificationEventType.RunFailed, NotificationEventType.TaskAwaitingApproval, NotificationEventType.TriggerRunFailed], EnumName = "NotificationEvent")]
    public List<string>? Events { get; init; }

    /// <summary>Whether events are delivered (default true).</summary>
    public bool? Active { get; init; }

    /// <summary>A note for people (at most 1000 characters).</summary>
    public string? Description { get; init; }
}

public sealed class CreateNotificationSubscriptionRequestValidator : AbstractValidator<CreateNotificationSubscriptionRequest>
{
    public CreateNotificationSubscriptionRequestValidator()
    {
        RuleFor(r => r.Url).NotEmpty().MaximumLength(NotificationSubscription.MaxUrlLength);
        RuleFor(r => r.Events).NotNull();
        RuleFor(r => r).Custom((r, context) => NotificationSubscriptionRules.CheckEvents(r.Events, context));
        RuleFor(r => r.Description).MaximumLength(NotificationSubscription.MaxDescriptionLength);
    }
}

/// <summary>A partial update: fields left out of the body keep their stored value.</summary>
[InputSchema("NotificationSubscriptionUpdate")]
public sealed record UpdateNotificationSubscriptionRequest
{
    /// <summary>The id of the subscription to change.</summary>
    [ApiField(Required = true)]
    public Guid? Id { get; init; }

    /// <summary>An absolute http(s) URL (at most 2048 characters), checked as on create.</summary>
    [ApiField(NotNull = true)]
    public FieldUpdate<string> Url { get; init; }

    /// <summary>The events to deliver (at least one).</summary>
    [ApiField(NotNull = true, Values = [NotificationEventType.RunAwaitingApproval, NotificationEventType.RunCompleted, NotificationEventType.RunFailed, NotificationEventType.TaskAwaitingApproval, NotificationEventType.TriggerRunFailed], EnumName = "NotificationEvent")]
    public FieldUpdate<List<string>> Events { get; init; }

    /// <summary>Whether events are delivered.</summary>
    [ApiField(NotNull = true)]
    public FieldUpdate<bool?> Active { get; init; }

    /// <summary>A note for people (at most 1000 characters); null removes it.</summary>
    public FieldUpdate<string?> Description { get; init; }
}

public sealed class UpdateNotificationSubscriptionRequestValidator : AbstractValidator<UpdateNotificationSubscriptionRequest>
{
    public UpdateNotificationSubscriptionRequestValidator()
    {
        RuleFor(r => r.Id).NotNull();
        RuleFor(r => r).Custom((r, context) =>
        {
            if (r.Url.IsSet)
            {
                if (string.IsNullOrEmpty(r.Url.Value))
                    context.AddFailure("url", r.Url.Value is null ? "none is not an allowed value" : "ensure this value has at least 1 characters");
                else if (r.Url.Value.Length > NotificationSubscription.MaxUrlLength)
                    context.AddFailure("url", $"ensure this value has at most {NotificationSubscription.MaxUrlLength} characters");
            }
            if (r.Events.IsSet)
            {
                if (r.Events.Value is null)
                    context.AddFailure("events", "none is not an allowed value");
                else
                    NotificationSubscriptionRules.CheckEvents(r.Events.Value, context);
            }
            if (r.Active is { IsSet: true, Value: null })
                context.AddFailure("active", "none is not an allowed value");
            if (r.Description is { IsSet: true, Value.Length: > NotificationSubscription.MaxDescriptionLength })
                context.AddFailure("description", $"ensure this value has at most {NotificationSubscription.MaxDescriptionLength} characters");
        });
    }
}

internal static class NotificationSubscriptionRules
{
    public static readonly string EventMessage =
        $"unexpected value; permitted: {string.Join(", ", NotificationEventType.Subscribable.Select(s => $"'{s}'"))}";

    public static void CheckEvents<T>(List<string>? events, ValidationContext<T> context)
    {
        if (events is null)
            return;
        if (events.Count == 0)
            context.AddFailure(new ValidationFailure("events", "ensure this value has at least 1 items"));
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i] is null || !NotificationEventType.Subscribable.Contains(events[i]))
                context.AddFailure(new ValidationFailure($"events[{i}]", EventMessage));
        }
    }
}

/// <summary>A notification subscription as stored; its secret is never shown again after creation.</summary>
/// <param name="Url">Where the events are POSTed.</param>
/// <param name="Events">The events delivered.</param>
/// <param name="Active">Whether events are delivered.</param>
/// <param name="DeletedAt">When the subscription was deleted; only a <c>DELETE</c> answer shows it set.</param>
[OutputSchema("NotificationSubscription")]
public sealed record NotificationSubscriptionResponse(
    Guid Id,
    string Url,
    [property: ApiField(Values = [NotificationEventType.RunAwaitingApproval, NotificationEventType.RunCompleted, NotificationEventType.RunFailed, NotificationEventType.TaskAwaitingApproval, NotificationEventType.TriggerRunFailed], EnumName = "NotificationEvent")] IReadOnlyList<string> Events,
    bool Active,
    string? Description,
    DateTime CreatedDate,
    DateTime ModifiedDate,
    DateTime? DeletedAt)
{
    public static NotificationSubscriptionResponse From(NotificationSubscription s) =>
        new(s.Id, s.Url, s.Events, s.Active, s.Description, s.CreatedDate, s.ModifiedDate, s.DeletedAt);
}

/// <summary>The answer to creating a subscription: the only time <see cref="Secret"/> is shown.</summary>
/// <param name="Url">Where the events are POSTed.</param>
/// <param name="Events">The events delivered.</param>
/// <param name="Active">Whether events are delivered.</param>
/// <param name="DeletedAt">Always null here.</param>
/// <param name="Secret">
/// The signing secret (<c>whsec_</c> + base64 of 32 bytes), as the Standard Webhooks libraries take it: each delivery's
/// <c>webhook-signature</c> is <c>v1,</c> + base64 HMAC-SHA256 (key: the base64-decoded part) of <c>webhook-id.webhook-timestamp.body</c>.
/// It is never shown again.
/// </param>
[OutputSchema("NotificationSubscriptionNew")]
public sealed record CreatedNotificationSubscriptionResponse(
    Guid Id,
    string Url,
    [property: ApiField(Values = [NotificationEventType.RunAwaitingApproval, NotificationEventType.RunCompleted, NotificationEventType.RunFailed, NotificationEventType.TaskAwaitingApproval, NotificationEventType.TriggerRunFailed], EnumName = "NotificationEvent")] IReadOnlyList<string> Events,
    bool Active,
    string? Description,
    DateTime CreatedDate,
    DateTime ModifiedDate,
    DateTime? DeletedAt,
    string Secret);

/// <summary>One attempt to deliver an event to a subscription.</summary>
/// <param name="Id">The attempt's id.</param>
/// <param name="WebhookId">The delivery's <c>webhook-id</c> header: the same on every attempt of one event.</param>
/// <param name="EventType">The event delivered (or <c>ping</c>).</param>
/// <param name="Attempt">The attempt's number, 1 for the first.</param>
/// <param name="Status"><c>delivered</c> (2xx), <c>retrying</c> (another attempt at <c>next_attempt</c>) or <c>failed</c> (no more attempts).</param>
/// <param name="ResponseCode">The receiver's HTTP status; null when no answer came (see <c>error</c>).</param>
/// <param name="Error">Why the attempt did not deliver.</param>
/// <param name="NextAttempt">When the next attempt is due, for <c>retrying</c>.</param>
/// <param name="CreatedDate">When the attempt was made.</param>
[OutputSchema("NotificationDelivery")]
public sealed record NotificationDeliveryResponse(
    Guid Id,
    Guid WebhookId,
    Guid Subscription,
    [property: ApiField(Values = [NotificationEventType.RunAwaitingApproval, NotificationEventType.RunCompleted, NotificationEventType.RunFailed, NotificationEventType.TaskAwaitingApproval, NotificationEventType.TriggerRunFailed, NotificationEventType.Ping], EnumName = "NotificationDeliveryEvent")] string EventType,
    int Attempt,
    [property: ApiField(ValuesOf = typeof(NotificationAttemptOutcome))] string Status,
    int? ResponseCode,
    string? Error,
    DateTime? NextAttempt,
    DateTime CreatedDate);

/// <summary>The answer to <c>POST /notification_subscriptions/test</c>: the queued ping's <c>webhook-id</c>.</summary>
[OutputSchema("NotificationPing")]
public sealed record NotificationPingResponse(Guid WebhookId, [property: ApiField(Values = [NotificationEventType.Ping])] string EventType);
