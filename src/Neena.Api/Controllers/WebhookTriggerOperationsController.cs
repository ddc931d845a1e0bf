using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.Triggers;
using Neena.Api.Errors;
using Neena.Api.Idempotency;
using Neena.Api.Services;

namespace Neena.Api.Controllers;

[ApiController]
[Route("webhook_trigger_operations")]
[Produces("application/json")]
public sealed class WebhookTriggerOperationsController(WebhookTriggerOperationService operations) : ControllerBase
{
    /// <summary>
    /// Subscribes the caller's organization to a platform event. The answer carries the <c>webhook_url</c> to give the
    /// platform and, for the generic <c>Incoming Webhook</c> trigger, the <c>signing_secret</c>, shown only here.
    /// </summary>
    [HttpPost("")]
    [ResponseHoldsSecret]
    [ProducesResponseType<CreatedWebhookTriggerOperationResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity, Description = "The trigger definition is unknown, a template placeholder names no event field of it, `body.flow` or `body.integration_credential` is not one of your organization's (or the credential is for another integration), or a field is invalid.")]
    public Task<CreatedWebhookTriggerOperationResponse> Create([FromBody] CreateWebhookTriggerOperationRequest request, CancellationToken cancellationToken) =>
        operations.CreateAsync(request, cancellationToken);

    /// <summary>Updates an operation; the body carries its <c>id</c>, and omitted fields keep their value.</summary>
    [HttpPut("")]
    [ProducesResponseType<WebhookTriggerOperationResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity, Description = "A template placeholder names no event field of the operation's trigger definition, `body.flow` or `body.integration_credential` is not one of your organization's (or the credential is for another integration), or a field is invalid.")]
    public Task<WebhookTriggerOperationResponse> Update([FromBody] UpdateWebhookTriggerOperationRequest request, CancellationToken cancellationToken) =>
        operations.UpdateAsync(request, cancellationToken);

    /// <summary>One webhook trigger operation (never its signing secret).</summary>
    [HttpGet("")]
    [ProducesResponseType<WebhookTriggerOperationResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<WebhookTriggerOperationResponse> Get([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        operations.GetAsync(id, cancellationToken);

    /// <summary>The organization's webhook trigger operations, newest first, optionally of one trigger definition.</summary>
    [HttpGet("all")]
    [ProducesResponseType<IReadOnlyList<WebhookTriggerOperationResponse>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task<IReadOnlyList<WebhookTriggerOperationResponse>> List([FromQuery] PageQuery page, [FromQuery] WebhookTriggerOperationFilter filter, CancellationToken cancellationToken) =>
        operations.ListAsync(page, filter, cancellationToken);

    /// <summary>Soft-deletes an operation (its signing secret is destroyed; its URL stops taking events) and returns it with <c>deleted_at</c> set.</summary>
    [HttpDelete("")]
    [ProducesResponseType<WebhookTriggerOperationResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<WebhookTriggerOperationResponse> Delete([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        operations.DeleteAsync(id, cancellationToken);
}
