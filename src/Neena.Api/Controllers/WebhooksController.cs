using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Neena.Api.Contracts.Webhooks;
using Neena.Api.Errors;
using Neena.Api.Services.Triggers;
using Neena.Integrations.Core;
using Neena.Integrations.Slack;
using Neena.Integrations.Trello;

namespace Neena.Api.Controllers;

/// <summary>
/// Marks the endpoints platforms call with their own signatures instead of Neena credentials: the rate limiter budgets
/// them per trigger operation, and the OpenAPI document shows them without Neena's security schemes.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class WebhookEndpointAttribute : Attribute
{
    /// <summary>The route value naming the trigger operation.</summary>
    public const string OperationRouteValue = "operation_id";
}

/// <summary>
/// Keeps model binding away from the body: with a form content type it would read (and consume) the form before the
/// receiver reads the raw bytes the signature covers, and a malformed multipart body would become a binding error.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class RawBodyAttribute : Attribute, IResourceFilter
{
    public void OnResourceExecuting(ResourceExecutingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.ValueProviderFactories.RemoveType<FormValueProviderFactory>();
        context.ValueProviderFactories.RemoveType<FormFileValueProviderFactory>();
        context.ValueProviderFactories.RemoveType<JQueryFormValueProviderFactory>();
    }

    public void OnResourceExecuted(ResourceExecutedContext context) { }
}

/// <summary>
/// Where platforms deliver events for trigger operations (§8). No API key: each delivery is signed by its platform, and the
/// signature is checked on the raw body (Neena's own for the core Incoming Webhook, Slack's v0, Trello's
/// <c>X-Trello-Webhook</c>).
/// </summary>
[ApiController]
[Route("webhooks")]
[AllowAnonymous]
[WebhookEndpoint]
[RawBody]
public sealed class WebhooksController(WebhookReceiver receiver) : ControllerBase
{
    /// <summary>
    /// Receives a delivery for a trigger operation. An authentic new event is stored as a trigger run before the answer
    /// (<c>202 {"trigger_run_id"}</c>) and processed in the background into a flow request and an approved run. A repeated
    /// delivery (same <c>X-Neena-Delivery</c> or <c>webhook-id</c>, Slack <c>event_id</c> or Trello <c>action.id</c>), and a
    /// replay of a core delivery's signature whatever its delivery id, answers 200 with the first one's trigger run and is
    /// processed once. The signature is checked on the raw bytes whatever the content type. Slack's <c>url_verification</c> is answered with its <c>challenge</c>; events
    /// the trigger is not for are answered 200 and not stored.
    /// A body nested deeper than 30 levels of objects and arrays (the flow request holds it two levels deeper) is 422 and not stored.
    /// </summary>
    /// <param name="operationId">The trigger operation's id (its <c>webhook_url</c> ends with it).</param>
    /// <param name="neenaSignature">Core Incoming Webhook: <c>sha256=</c> and the lowercase hex HMAC-SHA256, keyed with the operation's signing secret, of the timestamp, a dot and the raw body.</param>
    /// <param name="neenaTimestamp">Core Incoming Webhook: the unix time in seconds that was signed; at most 5 minutes from the server's time.</param>
    /// <param name="neenaDelivery">Core Incoming Webhook, optional: an id of the delivery (at most 255 characters), so that a repeat is processed once. Not signed: a replay of a signature already seen is answered as a repeat whatever this says.</param>
    /// <param name="standardId">Core Incoming Webhook, Standard Webhooks scheme (instead of the <c>X-Neena-*</c> headers): the delivery's id (at most 255 characters), signed.</param>
    /// <param name="standardTimestamp">Standard Webhooks: the signed unix time in seconds; at most 5 minutes from the server's time.</param>
    /// <param name="standardSignature">Standard Webhooks: space-separated <c>v1,</c> + base64 HMAC-SHA256 of <c>{webhook-id}.{webhook-timestamp}.{body}</c>, keyed with the base64-decoded text after the signing secret's <c>whsec_</c>.</param>
    /// <param name="slackSignature">Slack: <c>v0=</c> and the hex HMAC-SHA256, keyed with the app's signing secret, of <c>v0:{timestamp}:{body}</c>.</param>
    /// <param name="slackTimestamp">Slack: the signed unix time in seconds; at most 5 minutes from the server's time.</param>
    /// <param name="trelloSignature">Trello: the base64 HMAC-SHA1, keyed with the app secret, of the raw body followed by the webhook's callback URL.</param>
    [HttpPost("{operation_id}")]
    [Produces("application/json")]
    [ProducesResponseType<WebhookReceipt>(StatusCodes.Status202Accepted, Description = "A new event, stored as a trigger run: it is processed in the background.")]
    [ProducesResponseType<WebhookReceipt>(StatusCodes.Status200OK, Description = "A repeated delivery (the first one's trigger run), an event the trigger is not for (nothing stored), or Slack's url_verification (its challenge answered).")]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status401Unauthorized, Description = "The signature is missing or wrong, its timestamp is more than 5 minutes away, or the operation has no secret to check it with. Nothing is stored.")]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound, Description = "No active trigger operation has this id (unknown, deleted or not active). Nothing is stored.")]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status415UnsupportedMediaType, Description = "Correctly signed, but a multipart body, or form data that is not JSON: a delivery is a JSON document. Nothing is stored.")]
    public async Task<IActionResult> Receive(
        [FromRoute(Name = WebhookEndpointAttribute.OperationRouteValue)] string operationId,
        [FromHeader(Name = IncomingWebhookPlatform.NeenaSignatureHeader)] string? neenaSignature,
        [FromHeader(Name = IncomingWebhookPlatform.NeenaTimestampHeader)] string? neenaTimestamp,
        [FromHeader(Name = IncomingWebhookPlatform.NeenaDeliveryHeader)] string? neenaDelivery,
        [FromHeader(Name = IncomingWebhookPlatform.StandardIdHeader)] string? standardId,
        [FromHeader(Name = IncomingWebhookPlatform.StandardTimestampHeader)] string? standardTimestamp,
        [FromHeader(Name = IncomingWebhookPlatform.StandardSignatureHeader)] string? standardSignature,
        [FromHeader(Name = SlackWebhookPlatform.SignatureHeader)] string? slackSignature,
        [FromHeader(Name = SlackWebhookPlatform.TimestampHeader)] string? slackTimestamp,
        [FromHeader(Name = TrelloWebhookPlatform.SignatureHeader)] string? trelloSignature,
        CancellationToken cancellationToken)
    {
        // The headers are declared for the document; the receiver reads them (and the raw body) from the request itself.
        _ = (neenaSignature, neenaTimestamp, neenaDelivery, standardId, standardTimestamp, standardSignature, slackSignature, slackTimestamp, trelloSignature);
        try
        {
            var (status, receipt) = await receiver.ReceiveAsync(operationId, Request, cancellationToken);
            return StatusCode(status, receipt);
        }
        catch (WebhookRateLimitedException limited)
        {
            return TooManyRequests(limited);
        }
    }

    /// <summary>Trello's check of a callback URL before it registers a webhook: 200 when the trigger operation exists (active or not).</summary>
    /// <param name="operationId">The trigger operation's id.</param>
    [HttpHead("{operation_id}")]
    [ProducesResponseType(StatusCodes.Status200OK)]
    [ProducesResponseType(StatusCodes.Status404NotFound, Description = "No trigger operation has this id.")]
    public async Task<IActionResult> Check([FromRoute(Name = WebhookEndpointAttribute.OperationRouteValue)] string operationId, CancellationToken cancellationToken)
    {
        try
        {
            await receiver.CheckAsync(operationId, Request, cancellationToken);
        }
        catch (WebhookRateLimitedException limited)
        {
            return TooManyRequests(limited);
        }
        return Ok();
    }

    /// <summary>Answered here: the exception handler clears the response's headers, <c>Retry-After</c> among them.</summary>
    private ObjectResult TooManyRequests(WebhookRateLimitedException limited)
    {
        Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(limited.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return StatusCode(StatusCodes.Status429TooManyRequests, new DetailResponse(limited.Detail));
    }
}
