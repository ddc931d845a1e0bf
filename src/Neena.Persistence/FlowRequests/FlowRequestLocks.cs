using Microsoft.EntityFrameworkCore;
using Neena.Domain.FlowRequests;

namespace Neena.Persistence.FlowRequests;

/// <summary>Row locks on flow requests, for changes that must not lose a concurrent update.</summary>
public static class FlowRequestLocks
{
    /// <summary>
    /// The flow request, tracked and locked until the current transaction ends (<c>FOR UPDATE</c>); null when the tenant
    /// and soft-delete filters hide it. Call inside a transaction.
    /// </summary>
    public static Task<FlowRequest?> LockForUpdateAsync(this NeenaDbContext db, Guid id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.FlowRequests.FromSql($"SELECT * FROM flow_requests WHERE id = {id} FOR UPDATE").FirstOrDefaultAsync(cancellationToken);
    }
}
