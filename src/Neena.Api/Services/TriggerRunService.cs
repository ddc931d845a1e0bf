using Microsoft.EntityFrameworkCore;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.Triggers;
using Neena.Api.Errors;
using Neena.Domain.Triggers;
using Neena.Persistence;

namespace Neena.Api.Services;

/// <summary>Reads of trigger runs (deliveries of platform events); the receiver and its processor write them.</summary>
public sealed class TriggerRunService(NeenaDbContext db)
{
    public const string NotFound = "Trigger run not found";

    public async Task<TriggerRunResponse> GetAsync(Guid id, CancellationToken cancellationToken) =>
        await Project(db.TriggerRuns.AsNoTracking().Where(r => r.Id == id)).FirstOrDefaultAsync(cancellationToken)
        ?? throw ApiException.NotFound(NotFound);

    public async Task<IReadOnlyList<TriggerRunResponse>> ListAsync(PageQuery page, TriggerRunFilter filter, CancellationToken cancellationToken)
    {
        var query = db.TriggerRuns.AsNoTracking();
        if (filter.WebhookTriggerOperationId is { } operationId)
        {
            // A deleted operation's deliveries stay readable; another organization's operation is simply not found.
            if (!await db.WebhookTriggerOperations.IgnoreQueryFilters([NeenaDbContext.SoftDeleteFilter]).AnyAsync(o => o.Id == operationId, cancellationToken))
                throw ApiException.NotFound(WebhookTriggerOperationService.NotFound);
            query = query.Where(r => r.WebhookTriggerOperationId == operationId);
        }
        if (filter.ScheduleTriggerOperationId is { } scheduleId)
        {
            if (!await db.ScheduleTriggerOperations.IgnoreQueryFilters([NeenaDbContext.SoftDeleteFilter]).AnyAsync(o => o.Id == scheduleId, cancellationToken))
                throw ApiException.NotFound(ScheduleTriggerOperationService.NotFound);
            query = query.Where(r => r.ScheduleTriggerOperationId == scheduleId);
        }
        return await Project(query.NewestFirst(page)).ToListAsync(cancellationToken);
    }

    private static IQueryable<TriggerRunResponse> Project(IQueryable<TriggerRun> query) =>
        query.Select(r => new TriggerRunResponse(
            r.Id, r.WebhookTriggerOperationId, r.Status, r.Event, r.IntegrationEntityId, r.FlowRequestId, r.FlowRunId, r.Error,
            r.CreatedDate, r.ModifiedDate, r.ScheduleTriggerOperationId, r.FireTime));
}
