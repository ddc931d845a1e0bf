using Microsoft.EntityFrameworkCore;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.FlowResults;
using Neena.Api.Contracts.FlowRuns;
using Neena.Api.Errors;
using Neena.Domain.FlowRuns;
using Neena.Persistence;

namespace Neena.Api.Services;

/// <summary>Reads of flow results, in particular the newest one about a platform entity (a Trello card) across runs.</summary>
public sealed class FlowResultService(NeenaDbContext db)
{
    public const string NotFound = "Flow result not found";

    /// <summary>The newest result of the organization about the entity, among runs started by an event of the named integration.</summary>
    public async Task<FlowResultResponse> FindAsync(FlowResultLookup lookup, CancellationToken cancellationToken)
    {
        var integrationId = await IntegrationIdAsync(lookup.IntegrationShortName!, cancellationToken) ?? throw ApiException.NotFound(NotFound);
        return await Project(db.FlowResults.AsNoTracking()
                .Where(r => r.IntegrationEntityId == lookup.IntegrationEntityId && r.IntegrationId == integrationId)
                .OrderByDescending(r => r.CreatedDate).ThenByDescending(r => r.Id))
            .FirstOrDefaultAsync(cancellationToken)
            ?? throw ApiException.NotFound(NotFound);
    }

    public async Task<IReadOnlyList<FlowResultResponse>> ListAsync(PageQuery page, FlowResultFilter filter, CancellationToken cancellationToken)
    {
        var query = db.FlowResults.AsNoTracking();
        if (filter.FlowRunId is { } runId)
        {
            if (!await db.FlowRuns.AnyAsync(r => r.Id == runId, cancellationToken))
                throw ApiException.NotFound("Flow run not found");
            query = query.Where(r => r.FlowRunId == runId);
        }
        if (filter.IntegrationShortName is { } shortName)
        {
            // An integration nobody knows started no run: an empty list, as for any filter that matches nothing.
            var integrationId = await IntegrationIdAsync(shortName, cancellationToken);
            if (integrationId is null)
                return [];
            query = query.Where(r => r.IntegrationId == integrationId);
        }
        if (filter.IntegrationEntityId is { } entityId)
            query = query.Where(r => r.IntegrationEntityId == entityId);
        return await Project(query.NewestFirst(page)).ToListAsync(cancellationToken);
    }

    /// <summary>The integration's id, even if the catalogue has dropped it since: its results stay findable.</summary>
    private Task<Guid?> IntegrationIdAsync(string shortName, CancellationToken cancellationToken) =>
        db.Integrations.IgnoreQueryFilters([NeenaDbContext.SoftDeleteFilter]).AsNoTracking()
            .Where(i => i.ShortName == shortName).Select(i => (Guid?)i.Id).FirstOrDefaultAsync(cancellationToken);

    private static IQueryable<FlowResultResponse> Project(IQueryable<FlowResult> query) =>
        query.Select(r => new FlowResultResponse(
            r.Body, r.TriggerRunId, r.IntegrationEntityId, r.FlowRunId, r.OrganizationId, r.Id,
            r.CreatedDate, r.ModifiedDate, r.CreatedByEmail, r.ModifiedByEmail, r.DeletedAt));
}
