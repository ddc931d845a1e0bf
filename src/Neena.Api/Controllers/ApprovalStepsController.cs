using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Neena.Api.Contracts.FlowRuns;
using Neena.Api.Errors;
using Neena.Api.Services;
using Neena.Persistence;

namespace Neena.Api.Controllers;

/// <summary>Answers to approval steps (issue 20): the core task <c>Approval</c> waits for one of these.</summary>
[ApiController]
[Route("flow_runs")]
[Produces("application/json")]
public sealed class ApprovalStepsController(NeenaDbContext db, TimeProvider time, FlowRunService flowRuns) : ControllerBase
{
    /// <summary>
    /// Approves a waiting approval step: its task run completes with <c>{approved: true, by, at, comment}</c> and the run
    /// goes on at once. Answers the run.
    /// </summary>
    [HttpPut("approve_task")]
    [ProducesResponseType<FlowRunResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status403Forbidden, Description = "The step lists its `approvers` and the caller's e-mail is not among them.")]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound, Description = "No task run with this id in your organization.")]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status409Conflict, Description = "The task run is not a waiting approval step of a run in progress (already answered, timed out, cancelled, or another task); of concurrent answers exactly one wins.")]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity, Description = "`query.task_run_id` is missing or not a uuid, or `body.comment` is longer than 2000 characters.")]
    public Task<FlowRunResponse> ApproveTask(
        [FromQuery(Name = "task_run_id"), BindRequired] Guid taskRunId,
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] TaskAnswerRequest? request,
        CancellationToken cancellationToken) =>
        new ApprovalStepService(db, time, flowRuns).AnswerAsync(taskRunId, approve: true, request, cancellationToken);

    /// <summary>
    /// Rejects a waiting approval step: its task run fails with "Rejected by &lt;email&gt;"; then, as for any failed task,
    /// <c>continue_on_failure</c> and conditions decide what follows. Answers the run.
    /// </summary>
    [HttpPut("reject_task")]
    [ProducesResponseType<FlowRunResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status403Forbidden, Description = "The step lists its `approvers` and the caller's e-mail is not among them.")]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound, Description = "No task run with this id in your organization.")]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status409Conflict, Description = "The task run is not a waiting approval step of a run in progress (already answered, timed out, cancelled, or another task); of concurrent answers exactly one wins.")]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity, Description = "`query.task_run_id` is missing or not a uuid, or `body.comment` is longer than 2000 characters.")]
    public Task<FlowRunResponse> RejectTask(
        [FromQuery(Name = "task_run_id"), BindRequired] Guid taskRunId,
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] TaskAnswerRequest? request,
        CancellationToken cancellationToken) =>
        new ApprovalStepService(db, time, flowRuns).AnswerAsync(taskRunId, approve: false, request, cancellationToken);
}
