using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Neena.Persistence.Sql;

/// <summary>Statements on a context's own connection, and in its transaction when one is open.</summary>
public static class ContextConnection
{
    /// <summary>Opens the context's connection (and closes it after) as EF would around one of its own queries.</summary>
    public static async Task<T> WithConnectionAsync<T>(this NeenaDbContext db, Func<DbConnection, DbTransaction?, Task<T>> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(read);
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            return await read(db.Database.GetDbConnection(), db.Database.CurrentTransaction?.GetDbTransaction());
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
