using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Neena.Domain.Common;

namespace Neena.Persistence;

/// <summary>Stamps audit fields on every tracked write, so no endpoint can forget them and clients cannot set them.</summary>
public sealed class AuditInterceptor(TimeProvider time) : SaveChangesInterceptor
{
    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Stamp(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Stamp(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private void Stamp(DbContext? context)
    {
        if (context is not NeenaDbContext db)
            return;
        var now = time.GetUtcNow().UtcDateTime;
        var email = db.Tenant.UserEmail;
        foreach (var entry in db.ChangeTracker.Entries<IAudited>())
        {
            switch (entry.State)
            {
                case EntityState.Added:
                    entry.Entity.CreatedDate = now;
                    entry.Entity.ModifiedDate = now;
                    entry.Entity.CreatedByEmail ??= email;
                    entry.Entity.ModifiedByEmail = email ?? entry.Entity.CreatedByEmail;
                    break;
                case EntityState.Modified:
                    entry.Property(e => e.CreatedDate).IsModified = false;
                    entry.Property(e => e.CreatedByEmail).IsModified = false;
                    entry.Entity.ModifiedDate = now;
                    entry.Entity.ModifiedByEmail = email ?? entry.Entity.ModifiedByEmail;
                    break;
                default:
                    break;
            }
        }
    }
}
