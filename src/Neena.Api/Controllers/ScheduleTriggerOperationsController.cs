using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.Triggers;
using Neena.Api.Errors;
using Neena.Api.Services;

namespace Neena.Api.Controllers;

[ApiController]
[Route("schedule_trigger_operations")]
[Produces("application/json")]
public sealed class ScheduleTriggerOperationsController(ScheduleTriggerOperationService schedules) : ControllerBase
{
    /// <summary>
    /// Creates a schedule: each slot of its cron expression (in its time zone) becomes one trigger run, processed like a
    /// webhook's into a flow request and a run (pending approval when <c>requires_approval</c>).
    /// </summary>
    [HttpPost("")]
    [ProducesResponseType<ScheduleTriggerOperationResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity, Description = "The cron expression or time zone is invalid (the message says why), a template placeholder is not `fire_time` or `schedule_name`, `body.flow` is not one of your organization's, or a field is invalid.")]
    public Task<ScheduleTriggerOperationResponse> Create([FromBody] CreateScheduleTriggerOperationRequest request, CancellationToken cancellationToken) =>
        schedules.CreateAsync(request, cancellationToken);

    /// <summary>Updates a schedule; the body carries its <c>id</c>, and omitted fields keep their value.</summary>
    [HttpPut("")]
    [ProducesResponseType<ScheduleTriggerOperationResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity, Description = "The cron expression or time zone is invalid (the message says why), a template placeholder is not `fire_time` or `schedule_name`, `body.flow` is not one of your organization's, or a field is invalid.")]
    public Task<ScheduleTriggerOperationResponse> Update([FromBody] UpdateScheduleTriggerOperationRequest request, CancellationToken cancellationToken) =>
        schedules.UpdateAsync(request, cancellationToken);

    /// <summary>One schedule, with its next 3 fire times.</summary>
    [HttpGet("")]
    [ProducesResponseType<ScheduleTriggerOperationResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<ScheduleTriggerOperationResponse> Get([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        schedules.GetAsync(id, cancellationToken);

    /// <summary>The organization's schedules, newest first.</summary>
    [HttpGet("all")]
    [ProducesResponseType<IReadOnlyList<ScheduleTriggerOperationResponse>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task<IReadOnlyList<ScheduleTriggerOperationResponse>> List([FromQuery] PageQuery page, CancellationToken cancellationToken) =>
        schedules.ListAsync(page, cancellationToken);

    /// <summary>Soft-deletes a schedule (it stops firing; its trigger runs stay readable) and returns it with <c>deleted_at</c> set.</summary>
    [HttpDelete("")]
    [ProducesResponseType<ScheduleTriggerOperationResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<ScheduleTriggerOperationResponse> Delete([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        schedules.DeleteAsync(id, cancellationToken);
}
