using Neena.Api.Contracts.FlowRuns;
using Neena.Api.Errors;
using Neena.Domain.FlowRuns;
using Neena.Persistence;
using Neena.Persistence.FlowRuns;
using Neena.Persistence.Sql;

namespace Neena.Api.Services;

/// <summary>
/// Answers to approval steps (issue 20): 404 for a task run the caller's organization does not have, 403 for a caller
/// whose e-mail the step's <c>approvers</c> do not list, 409 unless the step is waiting (so of concurrent answers exactly
/// one gets 200); the answer returns the run as <c>GET /flow_runs/</c> reads it.
/// </summary>
public sealed class ApprovalStepService(NeenaDbContext db, TimeProvider time, FlowRunService flowRuns)
{
    public async Task<FlowRunResponse> AnswerAsync(Guid taskRunId, bool approve, TaskAnswerRequest? request, CancellationToken cancellationToken)
    {
        var tenant = Tenant.Of(db.Tenant) ?? throw ApiException.NotFound("Task run not found");
        var email = db.Tenant.UserEmail;
        var now = time.GetUtcNow().UtcDateTime;
        ApprovalAnswer answer;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            answer = await new ApprovalAnswers(db).AnswerAsync(tenant, taskRunId, approve, email, now, request?.Comment, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        return answer.Outcome switch
        {
            ApprovalAnswerOutcome.Applied => await flowRuns.GetAsync(answer.FlowRunId!.Value, cancellationToken),
            ApprovalAnswerOutcome.NotFound => throw ApiException.NotFound("Task run not found"),
            ApprovalAnswerOutcome.NotAnApprover => throw ApiException.Forbidden($"Only the step's approvers may answer it; {email ?? "this caller"} is not one of them."),
            _ => throw ApiException.Conflict(
                $"Task run cannot be {(approve ? TaskRunStateMachine.Approve : TaskRunStateMachine.Reject).Verb}: it is not a waiting approval step of a run in progress (its status is '{answer.Status}')."),
        };
    }
}
