using Microsoft.EntityFrameworkCore;
using Neena.Domain.Flows;

namespace Neena.Persistence.Authoring;

/// <summary>
/// A flow's row, locked until the transaction ends. The tenant and soft-delete filters of the context apply around it, so
/// another organization's flow and a deleted one are not found. Run creation and approval take it FOR SHARE; a change or
/// a deletion of the flow takes it FOR UPDATE, so a flow cannot be deleted under a run being created.
/// </summary>
public static class FlowLocks
{
    public static IQueryable<Flow> ForShare(this DbSet<Flow> flows, Guid id)
    {
        ArgumentNullException.ThrowIfNull(flows);
        return flows.FromSql($"SELECT * FROM flows WHERE id = {id} FOR SHARE");
    }

    public static IQueryable<Flow> ForUpdate(this DbSet<Flow> flows, Guid id)
    {
        ArgumentNullException.ThrowIfNull(flows);
        return flows.FromSql($"SELECT * FROM flows WHERE id = {id} FOR UPDATE");
    }
}
