using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.FlowRequests;
using Neena.Api.Errors;
using Neena.Api.Services;

namespace Neena.Api.Controllers;

[ApiController]
[Route("flow_requests")]
[Produces("application/json")]
public sealed class FlowRequestsController(FlowRequestService flowRequests) : ControllerBase
{
    /// <summary>Creates a flow request in the caller's organization.</summary>
    [HttpPost("")]
    [ProducesResponseType<FlowRequestResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status403Forbidden, Description = "`organization` names another organization.")]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity, Description = "`body.flow` is not a flow of your organization, or a field is invalid.")]
    public Task<FlowRequestResponse> Create([FromBody] CreateFlowRequestRequest request, CancellationToken cancellationToken) =>
        flowRequests.CreateAsync(request, cancellationToken);

    /// <summary>Updates a flow request; the body carries its <c>id</c>, and omitted fields keep their value.</summary>
    [HttpPut("")]
    [ProducesResponseType<FlowRequestResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status403Forbidden, Description = "`organization` names another organization.")]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity, Description = "`body.flow` is not a flow of your organization, or a field is invalid.")]
    public Task<FlowRequestResponse> Update([FromBody] UpdateFlowRequestRequest request, CancellationToken cancellationToken) =>
        flowRequests.UpdateAsync(request, cancellationToken);

    /// <summary>One flow request.</summary>
    [HttpGet("")]
    [ProducesResponseType<FlowRequestResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<FlowRequestResponse> Get([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        flowRequests.GetAsync(id, cancellationToken);

    /// <summary>The organization's flow requests, newest first.</summary>
    [HttpGet("all")]
    [ProducesResponseType<IReadOnlyList<FlowRequestResponse>>(StatusCodes.Status200OK)]
    public Task<IReadOnlyList<FlowRequestResponse>> List([FromQuery] PageQuery page, CancellationToken cancellationToken) =>
        flowRequests.ListAsync(page, cancellationToken);

    /// <summary>Soft-deletes a flow request and returns it with <c>deleted_at</c> set.</summary>
    [HttpDelete("")]
    [ProducesResponseType<FlowRequestResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<FlowRequestResponse> Delete([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        flowRequests.DeleteAsync(id, cancellationToken);
}
