using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Neena.Persistence;

namespace Neena.IntegrationTests.Infrastructure;

internal static class Migrations
{
    public static async Task ApplyAsync(string connectionString)
    {
        await using var db = Create(connectionString);
        await db.Database.MigrateAsync();
    }

    /// <summary>Moves the database to <paramref name="target"/> (a migration id; down when it is older than the current one).</summary>
    public static async Task MigrateToAsync(string connectionString, string target)
    {
        await using var db = Create(connectionString);
        await db.GetService<IMigrator>().MigrateAsync(target);
    }

    /// <summary>The id of the migration applied just before the one whose id ends with <paramref name="name"/>.</summary>
    public static string Before(string name)
    {
        using var db = Create("Host=unused");
        var all = db.Database.GetMigrations().ToList();
        var index = all.FindIndex(m => m.EndsWith("_" + name, StringComparison.Ordinal));
        if (index <= 0)
            throw new InvalidOperationException($"No migration before {name}");
        return all[index - 1];
    }

    private static NeenaDbContext Create(string connectionString)
    {
        var options = new DbContextOptionsBuilder<NeenaDbContext>();
        PersistenceServiceCollectionExtensions.Configure(options.UseNpgsql(connectionString, PersistenceServiceCollectionExtensions.ConfigureNpgsql));
        return new NeenaDbContext(options.Options, new FixedTenantContext());
    }
}
