using Microsoft.EntityFrameworkCore;
using Neena.Api.Auth;
using Neena.Api.Commands;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.FlowRuns;
using Neena.Api.Errors;
using Neena.Domain.Common;
using Neena.Domain.FlowRuns;
using Neena.Persistence;
using Neena.Persistence.FlowRuns;

namespace Neena.Api.Services;

/// <summary>
/// Flow runs: reads, and the state transitions, which <see cref="RunLifecycle"/> makes (the same rules and SQL the engine
/// uses). Every transition starts with one conditional UPDATE (the row lock it takes serialises racing requests), so two
/// approvals, or an approval and a cancel, can never both win.
/// </summary>
public sealed class FlowRunService(NeenaDbContext db, TimeProvider time, IHttpContextAccessor http, CreateFlowRunCommand create, ApprovalAnnouncer announcer)
{
    /// <summary>Creates a run (approved or rejected at once when asked); joins the caller's transaction when one is open.</summary>
    /// <param name="runType">How the run comes about; null: from the caller's credential (<c>api</c> for an API key, else <c>manual</c>).</param>
    public async Task<FlowRunResponse> CreateAsync(CreateFlowRunRequest request, CancellationToken cancellationToken, string? runType = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Recorded now, from the credential of this request: who created the run is not something to work out later.
        var caller = Caller();
        var input = new NewFlowRun(request.Flow!.Value, request.FlowRequest!.Value, runType ?? (caller?.Type == RanByType.ApiKey ? RunType.Api : RunType.Manual))
        {
            ApprovalStatus = request.ApprovalStatus,
            TriggeredTime = request.TriggeredTime,
            TriggeredBy = request.TriggeredBy,
            Tags = request.Tags ?? [],
        };
        var id = await create.ExecuteAsync(input, caller, cancellationToken);
        return await GetAsync(id, cancellationToken);
    }

    public async Task<FlowRunResponse> GetAsync(Guid id, CancellationToken cancellationToken) =>
        await FlowRunReads.GetAsync(db, id, cancellationToken) ?? throw ApiException.NotFound("Flow run not found");

    public Task<IReadOnlyList<FlowRunResponse>> ListAsync(PageQuery page, FlowRunFilter filter, CancellationToken cancellationToken) =>
        FlowRunReads.ListAsync(db, page, ListFilter(filter), cancellationToken);

    public static FlowRunListFilter ListFilter(FlowRunFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return new FlowRunListFilter(filter.Statuses(), filter.FlowId,
            filter.StartDate is { } start ? UtcTime.AsUtc(start) : null, filter.EndDate is { } end ? UtcTime.AsUtc(end) : null, filter.Tag);
    }

    public async Task<IReadOnlyList<FlowRunResponse>> ListForFlowAsync(Guid flowId, PageQuery page, CancellationToken cancellationToken)
    {
        // A deleted flow's runs stay readable; another organization's flow is simply not found.
        if (!await db.Flows.IgnoreQueryFilters([NeenaDbContext.SoftDeleteFilter]).AnyAsync(f => f.Id == flowId, cancellationToken))
            throw ApiException.NotFound("Flow not found");
        return await FlowRunReads.ListAsync(db, page, new FlowRunListFilter([], flowId), cancellationToken);
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
        // The result first: a run's ending and its result commit together, so a result that is seen implies that the run
        // read next is seen ended too (read the other way round, a run could show in_progress beside its result).
        var result = await db.FlowResults.AsNoTracking().FirstOrDefaultAsync(r => r.FlowRunId == id, cancellationToken);
        var run = await GetAsync(id, cancellationToken);
        return (run, result is null ? null : FlowResultResponse.From(result));
    }

    public async Task<FlowRunResponse> ApproveAsync(Guid id, CancellationToken cancellationToken)
    {
        // One round trip: the approval (one statement: update and task runs) and the read of the run it answers, in one
        // implicit transaction; no BEGIN … COMMIT around it, and no second round trip for the answer (issue 23). The engines
        // hear of the run after the commit, not from a NOTIFY in it (see ApprovalAnnouncer for why).
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = (Npgsql.NpgsqlConnection)db.Database.GetDbConnection();
            var (result, run) = await RunLifecycle.ApproveAndReadAsync(connection, Actor(Now()), id, cancellationToken);
            if (result.Applied)
                announcer.Announce(id);
            Ensure(RunStateMachine.Approve, result);
            return FlowRunReads.From(run!);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    public Task<FlowRunResponse> RejectAsync(Guid id, CancellationToken cancellationToken) =>
        TransitionAsync(id, RunStateMachine.Reject, RunLifecycle.RejectAsync, cancellationToken);

    public Task<FlowRunResponse> CancelAsync(Guid id, CancellationToken cancellationToken) =>
        TransitionAsync(id, RunStateMachine.Cancel, RunLifecycle.CancelAsync, cancellationToken);

    public Task<FlowRunResponse> RetryAsync(Guid id, CancellationToken cancellationToken) =>
        TransitionAsync(id, RunStateMachine.Retry, RunLifecycle.RetryAsync, cancellationToken);

    private async Task<FlowRunResponse> TransitionAsync(
        Guid id,
        RunTransition transition,
        Func<Npgsql.NpgsqlConnection, RunActor, Guid, CancellationToken, Task<TransitionResult>> change,
        CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        Ensure(transition, await change(db.TransactionConnection(), Actor(Now()), id, cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return await GetAsync(id, cancellationToken);
    }

    /// <summary>404 for a run the caller cannot see, 409 for one whose state does not allow the transition.</summary>
    private static void Ensure(RunTransition transition, TransitionResult result)
    {
        if (result.Applied)
            return;
        if (!result.Found)
            throw ApiException.NotFound("Flow run not found");
        throw ApiException.Conflict($"Flow run cannot be {transition.Verb}: its status is '{result.Status}' and its approval status is '{result.ApprovalStatus ?? "null"}'.");
    }

    private RunActor Actor(DateTime now) => new(db.Tenant.OrganizationId!.Value, db.Tenant.UserEmail, now, Caller());

    /// <summary>The request's credential: an API key (its id, and the user it acts as) or a user's JWT; null for background work.</summary>
    private RunCaller? Caller()
    {
        if (http.HttpContext?.User is not { } user || user.GetUserId() is not { } userId)
            return null;
        return user.GetApiKeyId() is { } key ? new RunCaller(RanByType.ApiKey, key, userId) : new RunCaller(RanByType.User, userId, userId);
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
            var from = UtcTime.AsUtc(start);
            runs = runs.Where(r => r.TriggeredTime >= from);
        }
        if (filter.EndDate is { } end)
        {
            var to = UtcTime.AsUtc(end);
            runs = runs.Where(r => r.TriggeredTime <= to);
        }
        if (filter.Tag is { } tag)
            runs = runs.Where(r => r.Tags.Contains(tag));
        return runs;
    }

    private DateTime Now() => time.GetUtcNow().UtcDateTime;
}
