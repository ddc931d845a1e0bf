using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.Flows;
using Neena.Api.Errors;
using Neena.Api.Services;

namespace Neena.Api.Controllers;

[ApiController]
[Route("flows")]
[Produces("application/json")]
public sealed class FlowsController(FlowService flows) : ControllerBase
{
    /// <summary>Creates a flow: a DAG of task operations and the dependencies between them.</summary>
    [HttpPost("")]
    [ProducesResponseType<FlowResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity, Description = "The flow is not a sound DAG (no operation, duplicate indexes, unknown indexes, a cycle), a task definition does not exist, or a binding names an unknown parameter or a task that is not an ancestor.")]
    public Task<FlowResponse> Create([FromBody] FlowBody body, CancellationToken cancellationToken) =>
        flows.CreateAsync(body, cancellationToken);

    /// <summary>Replaces a flow's name, operations and dependencies; the body carries its <c>id</c>.</summary>
    [HttpPut("")]
    [ProducesResponseType<FlowResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task<FlowResponse> Update([FromBody] UpdateFlowRequest body, CancellationToken cancellationToken) =>
        flows.UpdateAsync(body, cancellationToken);

    /// <summary>One flow with its operations (in topological order) and dependencies.</summary>
    [HttpGet("")]
    [ProducesResponseType<FlowResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<FlowResponse> Get([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        flows.GetAsync(id, cancellationToken);

    /// <summary>The organization's flows, newest first.</summary>
    [HttpGet("all")]
    [ProducesResponseType<IReadOnlyList<FlowResponse>>(StatusCodes.Status200OK)]
    public Task<IReadOnlyList<FlowResponse>> List([FromQuery] PageQuery page, CancellationToken cancellationToken) =>
        flows.ListAsync(page, cancellationToken);

    /// <summary>Soft-deletes a flow and returns it with <c>deleted_at</c> set.</summary>
    [HttpDelete("")]
    [ProducesResponseType<FlowResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status409Conflict, Description = "The flow has a run that is pending or in progress; cancel or finish it first.")]
    public Task<FlowResponse> Delete([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        flows.DeleteAsync(id, cancellationToken);
}
