using Microsoft.AspNetCore.Mvc;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.FlowResults;
using Neena.Api.Contracts.FlowRuns;
using Neena.Api.Errors;
using Neena.Api.Services;

namespace Neena.Api.Controllers;

[ApiController]
[Route("flow_results")]
[Produces("application/json")]
public sealed class FlowResultsController(FlowResultService results) : ControllerBase
{
    /// <summary>
    /// The newest flow result about a platform entity: of a run started by an event of the named integration whose
    /// <c>integration_entity_id</c> is the given one (a Trello card id).
    /// </summary>
    [HttpGet("")]
    [ProducesResponseType<FlowResultResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound, Description = "No flow result of your organization is about this entity of this integration.")]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity, Description = "`integration_entity_id` or `integration_short_name` is missing or invalid.")]
    public Task<FlowResultResponse> Find([FromQuery] FlowResultLookup lookup, CancellationToken cancellationToken) =>
        results.FindAsync(lookup, cancellationToken);

    /// <summary>The organization's flow results, newest first, optionally filtered.</summary>
    [HttpGet("all")]
    [ProducesResponseType<IReadOnlyList<FlowResultResponse>>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound, Description = "`flow_run_id` names no run of your organization.")]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task<IReadOnlyList<FlowResultResponse>> List([FromQuery] PageQuery page, [FromQuery] FlowResultFilter filter, CancellationToken cancellationToken) =>
        results.ListAsync(page, filter, cancellationToken);
}
