using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.Notifications;
using Neena.Api.Errors;
using Neena.Api.Idempotency;
using Neena.Api.Services.Notifications;

namespace Neena.Api.Controllers;

[ApiController]
[Route("notification_subscriptions")]
[Produces("application/json")]
public sealed class NotificationSubscriptionsController(NotificationSubscriptionService subscriptions) : ControllerBase
{
    private const string UrlProblem = "`body.url` is not an absolute http(s) URL, or its host is a private, loopback or otherwise internal address (unless `Integrations:Http` allows it); an event is unknown, the list is empty, or a field is invalid.";

    /// <summary>
    /// Subscribes the caller's organization to events. The answer carries the signing <c>secret</c>, shown only here: keep
    /// it to verify each delivery's <c>webhook-signature</c>.
    /// </summary>
    [HttpPost("")]
    [ResponseHoldsSecret]
    [ProducesResponseType<CreatedNotificationSubscriptionResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity, Description = UrlProblem)]
    public Task<CreatedNotificationSubscriptionResponse> Create([FromBody] CreateNotificationSubscriptionRequest request, CancellationToken cancellationToken) =>
        subscriptions.CreateAsync(request, cancellationToken);

    /// <summary>Updates a subscription; the body carries its <c>id</c>, and omitted fields keep their value.</summary>
    [HttpPut("")]
    [ProducesResponseType<NotificationSubscriptionResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity, Description = UrlProblem)]
    public Task<NotificationSubscriptionResponse> Update([FromBody] UpdateNotificationSubscriptionRequest request, CancellationToken cancellationToken) =>
        subscriptions.UpdateAsync(request, cancellationToken);

    /// <summary>One subscription (never its secret).</summary>
    [HttpGet("")]
    [ProducesResponseType<NotificationSubscriptionResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<NotificationSubscriptionResponse> Get([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        subscriptions.GetAsync(id, cancellationToken);

    /// <summary>The organization's subscriptions, newest first.</summary>
    [HttpGet("all")]
    [ProducesResponseType<IReadOnlyList<NotificationSubscriptionResponse>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task<IReadOnlyList<NotificationSubscriptionResponse>> List([FromQuery] PageQuery page, CancellationToken cancellationToken) =>
        subscriptions.ListAsync(page, cancellationToken);

    /// <summary>Soft-deletes a subscription (its secret is destroyed; queued deliveries are not sent) and returns it with <c>deleted_at</c> set.</summary>
    [HttpDelete("")]
    [ProducesResponseType<NotificationSubscriptionResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<NotificationSubscriptionResponse> Delete([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        subscriptions.DeleteAsync(id, cancellationToken);

    /// <summary>
    /// The subscription's delivery attempts, newest first: each attempt's outcome, the receiver's status code, the error,
    /// the next attempt's time and the delivery's <c>webhook-id</c> (the same on every attempt of one event).
    /// </summary>
    [HttpGet("deliveries")]
    [ProducesResponseType<IReadOnlyList<NotificationDeliveryResponse>>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task<IReadOnlyList<NotificationDeliveryResponse>> Deliveries(
        [FromQuery(Name = "subscription_id"), BindRequired] Guid subscriptionId, [FromQuery] PageQuery page, CancellationToken cancellationToken) =>
        subscriptions.DeliveriesAsync(subscriptionId, page, cancellationToken);

    /// <summary>Sends the subscription a <c>ping</c> event, delivered, signed and retried like any other (whatever its events).</summary>
    [HttpPost("test")]
    [ProducesResponseType<NotificationPingResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<NotificationPingResponse> Test([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        subscriptions.TestAsync(id, cancellationToken);
}
