using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.FlowRuns;
using Neena.Api.Errors;
using Neena.Domain.FlowRuns;
using Neena.Persistence;

namespace Neena.Api.Services;

/// <summary>
/// Flow runs and their state transitions. Every transition is one conditional UPDATE (the row lock it takes
/// serialises racing requests), so two approvals, or an approval and a cancel, can never both win.
/// </summary>
public sealed class FlowRunService(NeenaDbContext db, TimeProvider time)
{
    private static readonly string[] Open = [RunStatus.Pending, RunStatus.InProgress];

    public async Task<FlowRunResponse> CreateAsync(CreateFlowRunRequest request, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var problems = new List<KeyValuePair<string, string>>();
        // FOR SHARE until commit: DELETE /flows locks the row for update before it checks for open runs, so the flow
        // cannot be deleted under this new run, and a flow whose deletion committed first is seen as deleted (not found).
        if (!await db.Flows.FromSql($"SELECT * FROM flows WHERE id = {request.Flow!.Value} FOR SHARE").AnyAsync(cancellationToken))
            problems.Add(new("body.flow", "flow not found"));
        if (!await db.FlowRequests.AnyAsync(r => r.Id == request.FlowRequest, cancellationToken))
            problems.Add(new("body.flow_request", "flow request not found"));
        if (problems.Count > 0)
            throw new RequestValidationException(problems);

        var now = Now();
        var run = new FlowRun
        {
            OrganizationId = db.Tenant.OrganizationId!.Value,
            FlowId = request.Flow!.Value,
            FlowRequestId = request.FlowRequest!.Value,
            TriggeredTime = request.TriggeredTime ?? now,
            TriggeredBy = request.TriggeredBy ?? db.Tenant.UserEmail,
        };
        db.FlowRuns.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        switch (request.ApprovalStatus)
        {
            case ApprovalStatus.Approved:
                await ApproveInTransactionAsync(run.Id, now, cancellationToken);
                break;
            case ApprovalStatus.Rejected:
                await RejectInTransactionAsync(run.Id, now, cancellationToken);
                break;
            default:
                break;
        }
        await transaction.CommitAsync(cancellationToken);
        return await GetAsync(run.Id, cancellationToken);
    }

    public async Task<FlowRunResponse> GetAsync(Guid id, CancellationToken cancellationToken) =>
        (await ListAsync(db.FlowRuns.Where(r => r.Id == id), cancellationToken)).SingleOrDefault()
        ?? throw ApiException.NotFound("Flow run not found");

    public async Task<IReadOnlyList<FlowRunResponse>> ListAsync(PageQuery page, FlowRunFilter filter, CancellationToken cancellationToken) =>
        await ListAsync(Filter(db.FlowRuns, filter).NewestFirst(page), cancellationToken);

    public async Task<IReadOnlyList<FlowRunResponse>> ListForFlowAsync(Guid flowId, PageQuery page, CancellationToken cancellationToken)
    {
        // A deleted flow's runs stay readable; another organization's flow is simply not found.
        if (!await db.Flows.IgnoreQueryFilters([NeenaDbContext.SoftDeleteFilter]).AnyAsync(f => f.Id == flowId, cancellationToken))
            throw ApiException.NotFound("Flow not found");
        return await ListAsync(db.FlowRuns.Where(r => r.FlowId == flowId).NewestFirst(page), cancellationToken);
    }

    public async Task<IReadOnlyList<FlowRunPreviewResponse>> PreviewAsync(PageQuery page, FlowRunFilter filter, CancellationToken cancellationToken)
    {
        var flows = db.Flows.IgnoreQueryFilters([NeenaDbContext.SoftDeleteFilter]);
        var requests = db.FlowRequests.IgnoreQueryFilters([NeenaDbContext.SoftDeleteFilter]);
        return await Filter(db.FlowRuns.AsNoTracking(), filter).NewestFirst(page)
            .Select(r => new FlowRunPreviewResponse(
                r.Id,
                flows.Where(f => f.Id == r.FlowId).Select(f => f.Name).First(),
                requests.Where(q => q.Id == r.FlowRequestId).Select(q => q.RequestInstructions).First(),
                r.ApprovalStatus,
                r.StartTime,
                r.Status,
                r.EndTime,
                r.FlowId,
                r.TriggeredTime))
            .ToListAsync(cancellationToken);
    }

    public async Task<(FlowRunResponse Run, FlowResultResponse? Result)> GetWithResultAsync(Guid id, CancellationToken cancellationToken)
    {
        var run = await GetAsync(id, cancellationToken);
        var result = await db.FlowResults.AsNoTracking().FirstOrDefaultAsync(r => r.FlowRunId == id, cancellationToken);
        return (run, result is null ? null : FlowResultResponse.From(result));
    }

    public async Task<FlowRunResponse> ApproveAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await ApproveInTransactionAsync(id, Now(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await GetAsync(id, cancellationToken);
    }

    public async Task<FlowRunResponse> RejectAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await RejectInTransactionAsync(id, Now(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await GetAsync(id, cancellationToken);
    }

    public async Task<FlowRunResponse> CancelAsync(Guid id, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var email = db.Tenant.UserEmail;
        var changed = await db.FlowRuns
            .Where(r => r.Id == id && Open.Contains(r.Status))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, RunStatus.Cancelled)
                .SetProperty(r => r.EndTime, now)
                .SetProperty(r => r.LeaseOwner, (string?)null)
                .SetProperty(r => r.LeaseExpiresAt, (DateTime?)null)
                .SetProperty(r => r.ModifiedDate, now)
                .SetProperty(r => r.ModifiedByEmail, email), cancellationToken);
        if (changed == 0)
            await ThrowNotFoundOrConflictAsync(id, "cancelled", cancellationToken);
        await db.TaskRuns
            .Where(t => t.FlowRunId == id && Open.Contains(t.Status))
            .ExecuteUpdateAsync(s => s
                .SetProperty(t => t.Status, RunStatus.Cancelled)
                .SetProperty(t => t.EndTime, now)
                .SetProperty(t => t.ModifiedDate, now), cancellationToken);
        await WriteResultAsync(id, RunStatus.Cancelled, "The run was cancelled by " + (email ?? "a user") + ".", cancellationToken);
        // Delivered at commit: the engine working on the run stops its tasks.
        await db.Database.ExecuteSqlAsync($"SELECT pg_notify({FlowRunNotifications.Cancelled}, {id.ToString()})", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return await GetAsync(id, cancellationToken);
    }

    /// <summary>Approves a pending run and hands it to the engine: task runs are created and a notification is sent at commit.</summary>
    private async Task ApproveInTransactionAsync(Guid id, DateTime now, CancellationToken cancellationToken)
    {
        var email = db.Tenant.UserEmail;
        var changed = await db.FlowRuns
            .Where(AwaitingApproval(id))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.ApprovalStatus, ApprovalStatus.Approved)
                .SetProperty(r => r.Status, RunStatus.InProgress)
                .SetProperty(r => r.StartTime, now)
                .SetProperty(r => r.ModifiedDate, now)
                .SetProperty(r => r.ModifiedByEmail, email), cancellationToken);
        if (changed == 0)
            await ThrowNotFoundOrConflictAsync(id, "approved", cancellationToken);

        var run = await db.FlowRuns.AsNoTracking().Where(r => r.Id == id).Select(r => new { r.FlowId, r.OrganizationId }).SingleAsync(cancellationToken);
        // PUT /flows replaces the operations and dependencies under FOR UPDATE on the flow row. Holding FOR SHARE until
        // commit makes the two reads below see one version: a replacement either committed before (and is seen whole,
        // each statement reading committed data) or waits until this approval has committed.
        await db.Database.ExecuteSqlAsync($"SELECT 1 FROM flows WHERE id = {run.FlowId} FOR SHARE", cancellationToken);
        var operations = await db.TaskOperations.AsNoTracking().Where(o => o.FlowId == run.FlowId).ToListAsync(cancellationToken);
        var dependencies = await db.TaskDependencies.AsNoTracking().Where(d => d.FlowId == run.FlowId).ToListAsync(cancellationToken);
        db.TaskRuns.AddRange(operations.Select(o => new TaskRun
        {
            OrganizationId = run.OrganizationId,
            FlowRunId = id,
            TaskOperationIndex = o.Index,
            TaskOperationId = o.Id,
            TaskDefinitionId = o.TaskDefinitionId,
            OperationName = o.Name,
            Instruction = o.Instruction,
            Parameters = o.Parameters,
            SortedIndex = o.SortedIndex,
            DependsOn = dependencies.Where(d => d.TargetTaskOperation == o.Index).Select(d => d.SourceTaskOperation).Order().ToList(),
        }));
        await db.SaveChangesAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"SELECT pg_notify({FlowRunNotifications.Approved}, {id.ToString()})", cancellationToken);
    }

    private async Task RejectInTransactionAsync(Guid id, DateTime now, CancellationToken cancellationToken)
    {
        var email = db.Tenant.UserEmail;
        var changed = await db.FlowRuns
            .Where(AwaitingApproval(id))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.ApprovalStatus, ApprovalStatus.Rejected)
                .SetProperty(r => r.Status, RunStatus.Cancelled)
                .SetProperty(r => r.EndTime, now)
                .SetProperty(r => r.ModifiedDate, now)
                .SetProperty(r => r.ModifiedByEmail, email), cancellationToken);
        if (changed == 0)
            await ThrowNotFoundOrConflictAsync(id, "rejected", cancellationToken);
        await WriteResultAsync(id, RunStatus.Cancelled, "The run was rejected by " + (email ?? "a user") + ".", cancellationToken);
    }

    /// <summary>The only state from which a run may be approved or rejected.</summary>
    private static Expression<Func<FlowRun, bool>> AwaitingApproval(Guid id) =>
        r => r.Id == id && r.Status == RunStatus.Pending && r.ApprovalStatus == null;

    private async Task WriteResultAsync(Guid runId, string status, string message, CancellationToken cancellationToken)
    {
        if (await db.FlowResults.IgnoreQueryFilters().AnyAsync(r => r.FlowRunId == runId, cancellationToken))
            return;
        var taskRuns = await db.TaskRuns.AsNoTracking().Where(t => t.FlowRunId == runId).ToListAsync(cancellationToken);
        db.FlowResults.Add(new FlowResult
        {
            OrganizationId = db.Tenant.OrganizationId!.Value,
            FlowRunId = runId,
            Body = FlowOutcome.ComposeBody(status, taskRuns, message),
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task ThrowNotFoundOrConflictAsync(Guid id, string action, CancellationToken cancellationToken)
    {
        var current = await db.FlowRuns.AsNoTracking().Where(r => r.Id == id).Select(r => new { r.Status, r.ApprovalStatus }).FirstOrDefaultAsync(cancellationToken)
            ?? throw ApiException.NotFound("Flow run not found");
        throw ApiException.Conflict($"Flow run cannot be {action}: its status is '{current.Status}' and its approval status is '{current.ApprovalStatus ?? "null"}'.");
    }

    private static IQueryable<FlowRun> Filter(IQueryable<FlowRun> runs, FlowRunFilter filter)
    {
        var statuses = filter.Statuses();
        if (statuses.Count > 0)
            runs = runs.Where(r => statuses.Contains(r.Status));
        if (filter.FlowId is { } flowId)
            runs = runs.Where(r => r.FlowId == flowId);
        if (filter.StartDate is { } start)
        {
            var from = AsUtc(start);
            runs = runs.Where(r => r.TriggeredTime >= from);
        }
        if (filter.EndDate is { } end)
        {
            var to = AsUtc(end);
            runs = runs.Where(r => r.TriggeredTime <= to);
        }
        return runs;
    }

    /// <summary>Two queries whatever the page size: the runs, then all their task runs.</summary>
    private async Task<IReadOnlyList<FlowRunResponse>> ListAsync(IQueryable<FlowRun> runs, CancellationToken cancellationToken)
    {
        var rows = await runs.AsNoTracking().Select(RunRow).ToListAsync(cancellationToken);
        if (rows.Count == 0)
            return [];
        var ids = rows.Select(r => r.Id).ToList();
        var taskRuns = await db.TaskRuns.AsNoTracking()
            .Where(t => ids.Contains(t.FlowRunId))
            .OrderBy(t => t.FlowRunId).ThenBy(t => t.TaskOperationIndex)
            .Select(t => new TaskRunResponse(t.Id, t.FlowRunId, t.TaskOperationIndex, t.Status, t.StartTime, t.EndTime, t.TaskPrepPrompt, t.TaskPrepAnswer, t.Result, t.Error, t.Attempt, t.OperationName))
            .ToListAsync(cancellationToken);
        var byRun = taskRuns.ToLookup(t => t.FlowRun);
        return rows.Select(r => r with { TaskRuns = byRun[r.Id].ToList() }).ToList();
    }

    private static readonly Expression<Func<FlowRun, FlowRunResponse>> RunRow = r => new FlowRunResponse(
        r.FlowId, r.FlowRequestId, r.Status, r.ApprovalStatus, r.TriggeredTime, r.EndTime, r.TriggeredBy, r.Id,
        Array.Empty<TaskRunResponse>(), r.StartTime, r.CreatedDate, r.ModifiedDate);

    private static DateTime AsUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };

    private DateTime Now() => time.GetUtcNow().UtcDateTime;
}
