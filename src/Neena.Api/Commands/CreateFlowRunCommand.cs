using Microsoft.EntityFrameworkCore;
using Neena.Domain.Common;
using Neena.Domain.FlowRuns;
using Neena.Domain.Notifications;
using Neena.Persistence;
using Neena.Persistence.Authoring;
using Neena.Persistence.FlowRuns;
using Neena.Persistence.Notifications;

namespace Neena.Api.Commands;

/// <summary>
/// Creates a run for the acting organization (<c>POST /flow_runs</c>, <c>POST /flows/execute</c>, a webhook's), approved or
/// rejected at once when asked, through <see cref="RunLifecycle"/> (the same rules and SQL as every other transition).
/// </summary>
public sealed class CreateFlowRunCommand(NeenaDbContext db, TimeProvider time)
{
    /// <summary>
    /// Joins the caller's transaction when one is open (a webhook's trigger run records the run it made in the same one),
    /// else commits its own.
    /// </summary>
    /// <param name="caller">The credential creating it, recorded on the run; null for background work.</param>
    /// <exception cref="DomainValidationException">The flow or the request is not the organization's (<c>flow</c>, <c>flow_request</c>).</exception>
    public async Task<Guid> ExecuteAsync(NewFlowRun input, RunCaller? caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var organizationId = db.Tenant.OrganizationId
            ?? throw new InvalidOperationException("A run is created for the acting organization; none is acting.");
        await using var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        var problems = new List<KeyValuePair<string, string>>();
        // FOR SHARE until commit: DELETE /flows locks the row for update before it checks for open runs, so the flow
        // cannot be deleted under this new run, and a flow whose deletion committed first is seen as deleted (not found).
        // The request is checked in the same round trip (issue 23); only a missing flow costs a second one, to name both.
        var requestFound = await db.Flows.ForShare(input.Flow)
            .Select(f => (bool?)db.FlowRequests.Any(r => r.Id == input.FlowRequest))
            .FirstOrDefaultAsync(cancellationToken);
        if (requestFound is null)
        {
            problems.Add(new("flow", "flow not found"));
            requestFound = await db.FlowRequests.AnyAsync(r => r.Id == input.FlowRequest, cancellationToken);
        }
        if (requestFound is false)
            problems.Add(new("flow_request", "flow request not found"));
        if (problems.Count > 0)
            throw new DomainValidationException(problems);

        var now = time.GetUtcNow().UtcDateTime;
        var run = new FlowRun
        {
            OrganizationId = organizationId,
            FlowId = input.Flow,
            FlowRequestId = input.FlowRequest,
            TriggeredTime = input.TriggeredTime ?? now,
            TriggeredBy = input.TriggeredBy ?? db.Tenant.UserEmail,
            Tags = [.. input.Tags],
            RunType = input.RunType,
            CreatedByType = caller?.Type,
            CreatedById = caller?.Id,
            RanByType = caller?.Type,
            RanById = caller?.Id,
            RanByUserId = caller?.UserId,
        };
        db.FlowRuns.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        var actor = new RunActor(organizationId, db.Tenant.UserEmail, now, caller);
        var decision = input.ApprovalStatus switch
        {
            ApprovalStatus.Approved => RunStateMachine.Approve,
            ApprovalStatus.Rejected => RunStateMachine.Reject,
            _ => null,
        };
        if (decision is not null)
        {
            var result = decision == RunStateMachine.Approve
                ? await RunLifecycle.ApproveAsync(db.TransactionConnection(), actor, run.Id, cancellationToken)
                : await RunLifecycle.RejectAsync(db.TransactionConnection(), actor, run.Id, cancellationToken);
            // The run was made pending and unapproved in this transaction, which approval and rejection always allow.
            if (!result.Applied)
                throw new InvalidOperationException($"The new run {run.Id} could not be {decision.Verb} (status '{result.Status}').");
        }
        else
        {
            await NotificationOutboxSql.EnqueueAsync(db.TransactionConnection(), organizationId, NotificationEventType.RunAwaitingApproval, run.Id, cancellationToken);
        }
        if (transaction is not null)
            await transaction.CommitAsync(cancellationToken);
        return run.Id;
    }
}
