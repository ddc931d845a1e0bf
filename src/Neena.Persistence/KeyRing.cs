using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Neena.Persistence;

/// <summary>
/// ASP.NET Core Data Protection with its key ring in PostgreSQL (<c>data_protection_keys</c>), under one application
/// name: every instance of the server reads and writes the same keys, so a secret one instance encrypts every other can
/// decrypt. Integration credentials are encrypted with it. Any host that reads or writes them (the API, an engine-only
/// worker) registers it and calls <see cref="EnsureKeyAsync"/> before serving.
/// </summary>
public static class KeyRing
{
    public const string ApplicationName = "Neena";

    // Any constant unique to this purpose; pg_advisory_xact_lock takes a bigint.
    private const long LockKey = 0x4E45454E41_0002;

    public static IServiceCollection AddNeenaDataProtection(this IServiceCollection services)
    {
        services.AddDataProtection()
            .SetApplicationName(ApplicationName)
            .PersistKeysToDbContext<NeenaDbContext>();
        return services;
    }

    /// <summary>
    /// Makes sure the key ring has a key before the server serves. Loading an empty ring creates a key; done under an
    /// advisory lock, instances starting together create one between them, and each one after the first loads it.
    /// </summary>
    public static async Task EnsureKeyAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NeenaDbContext>();
        var provider = services.GetRequiredService<IDataProtectionProvider>();
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockKey})", cancellationToken);
            provider.CreateProtector("Neena.KeyRing.Startup").Protect([1]);
            await transaction.CommitAsync(cancellationToken);
        });
    }
}
