using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.Triggers;
using Neena.Api.Errors;
using Neena.Api.Services;

namespace Neena.Api.Controllers;

[ApiController]
[Route("trigger_runs")]
[Produces("application/json")]
public sealed class TriggerRunsController(TriggerRunService triggerRuns) : ControllerBase
{
    /// <summary>One trigger run: a delivered event and what became of it.</summary>
    [HttpGet("")]
    [ProducesResponseType<TriggerRunResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<TriggerRunResponse> Get([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        triggerRuns.GetAsync(id, cancellationToken);

    /// <summary>The organization's trigger runs, newest first, optionally of one webhook or schedule trigger operation.</summary>
    [HttpGet("all")]
    [ProducesResponseType<IReadOnlyList<TriggerRunResponse>>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound, Description = "`webhook_trigger_operation_id` or `schedule_trigger_operation_id` names no operation of your organization.")]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task<IReadOnlyList<TriggerRunResponse>> List([FromQuery] PageQuery page, [FromQuery] TriggerRunFilter filter, CancellationToken cancellationToken) =>
        triggerRuns.ListAsync(page, filter, cancellationToken);
}
