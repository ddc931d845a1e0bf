using Microsoft.EntityFrameworkCore;
using Neena.Api.Commands;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.Flows;
using Neena.Api.Errors;
using Neena.Domain.Common;
using Neena.Domain.Flows;
using Neena.Persistence;
using Neena.Persistence.Authoring;
using Neena.Persistence.FlowRuns;

namespace Neena.Api.Services;

public sealed class FlowService(NeenaDbContext db, TimeProvider time, CreateFlowCommand create)
{
    /// <summary>A flow drawn by a person (<c>POST /flows</c>): <c>created_by_human</c> is true.</summary>
    public Task<FlowResponse> CreateAsync(FlowBody body, CancellationToken cancellationToken) =>
        CreateAsync(body, createdByHuman: true, cancellationToken);

    public async Task<FlowResponse> CreateAsync(FlowBody body, bool createdByHuman, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        _ = db.Tenant.OrganizationId ?? throw ApiException.Forbidden("No organization");
        return FlowResponse.From(await create.ExecuteAsync(body.ToInput() with { CreatedByHuman = createdByHuman }, cancellationToken));
    }

    public async Task<FlowResponse> UpdateAsync(UpdateFlowRequest body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var (operations, dependencies) = await create.BuildGraphAsync(body.ToInput(), cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Row lock: two concurrent replacements of one flow serialise instead of interleaving their deletes and inserts.
        var flow = await db.Flows.ForUpdate(body.Id!.Value)
            .Include(f => f.TaskOperations).Include(f => f.Dependencies)
            .AsSplitQuery()
            .FirstOrDefaultAsync(cancellationToken)
            ?? throw ApiException.NotFound("Flow not found");
        db.TaskOperations.RemoveRange(flow.TaskOperations);
        db.TaskDependencies.RemoveRange(flow.Dependencies);
        await db.SaveChangesAsync(cancellationToken);
        flow.Name = body.Name!;
        // A replacement is a write of the flow even when its name stays, so its audit fields move.
        db.Entry(flow).Property(f => f.Name).IsModified = true;
        operations.ForEach(o => o.FlowId = flow.Id);
        dependencies.ForEach(d => d.FlowId = flow.Id);
        // Explicit Add: these rows carry client-side ids, which EF would otherwise take for existing rows to update.
        db.TaskOperations.AddRange(operations);
        db.TaskDependencies.AddRange(dependencies);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return FlowResponse.From(flow);
    }

    /// <summary>
    /// The graph, definition and binding rules of <see cref="CreateAsync(FlowBody, CancellationToken)"/> without storing anything: the problems in the
    /// 422's terms (<c>body.…</c> locations), none when the flow would be created. The planner checks drafts with it.
    /// </summary>
    public async Task<IReadOnlyList<KeyValuePair<string, string>>> ValidateAsync(FlowBody body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            await create.BuildGraphAsync(body.ToInput(), cancellationToken);
            return [];
        }
        catch (DomainValidationException e)
        {
            return RequestValidationException.InBody(e.Errors);
        }
    }

    public async Task<FlowResponse> GetAsync(Guid id, CancellationToken cancellationToken) =>
        FlowResponse.From(await WithGraph(db.Flows.AsNoTracking()).FirstOrDefaultAsync(f => f.Id == id, cancellationToken)
            ?? throw ApiException.NotFound("Flow not found"));

    public async Task<IReadOnlyList<FlowResponse>> ListAsync(PageQuery page, CancellationToken cancellationToken) =>
        (await WithGraph(db.Flows.AsNoTracking().NewestFirst(page)).ToListAsync(cancellationToken)).Select(FlowResponse.From).ToList();

    public async Task<FlowResponse> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Row lock first: run creation and approval hold FOR SHARE on the flow row until they commit, so once this lock
        // is ours every run they made is visible to the check below, and no new run can attach until the deletion commits.
        var flow = await WithGraph(db.Flows.ForUpdate(id)).FirstOrDefaultAsync(cancellationToken)
            ?? throw ApiException.NotFound("Flow not found");
        if (await db.FlowRuns.Where(r => r.FlowId == id).AnyAsync(RunLifecycle.IsOpen, cancellationToken))
            throw ApiException.Conflict("The flow has a run that is pending or in progress; cancel or finish it first.");
        flow.DeletedAt = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return FlowResponse.From(flow);
    }

    private static IQueryable<Flow> WithGraph(IQueryable<Flow> flows) =>
        flows.Include(f => f.TaskOperations).Include(f => f.Dependencies).AsSplitQuery();
}
