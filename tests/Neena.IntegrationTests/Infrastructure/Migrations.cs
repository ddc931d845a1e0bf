using Microsoft.EntityFrameworkCore;
using Neena.Persistence;

namespace Neena.IntegrationTests.Infrastructure;

internal static class Migrations
{
    public static async Task ApplyAsync(string connectionString)
    {
        var options = new DbContextOptionsBuilder<NeenaDbContext>();
        PersistenceServiceCollectionExtensions.Configure(options.UseNpgsql(connectionString, PersistenceServiceCollectionExtensions.ConfigureNpgsql));
        await using var db = new NeenaDbContext(options.Options, new FixedTenantContext());
        await db.Database.MigrateAsync();
    }
}
