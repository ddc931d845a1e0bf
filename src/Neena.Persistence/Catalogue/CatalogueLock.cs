using Microsoft.EntityFrameworkCore;

namespace Neena.Persistence.Catalogue;

/// <summary>Serialises the catalogue's synchronisation between instances that start at once.</summary>
public static class CatalogueLock
{
    // Any constant unique to this purpose; pg_advisory_xact_lock takes a bigint.
    private const long LockKey = 0x4E45454E41_0001;

    /// <summary>Waits for the lock, held until the context's open transaction ends.</summary>
    public static async Task AcquireAsync(NeenaDbContext db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockKey})", cancellationToken);
    }
}
