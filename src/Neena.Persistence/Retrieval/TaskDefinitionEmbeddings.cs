using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Neena.Domain.Catalogue;

namespace Neena.Persistence.Retrieval;

/// <summary>The live task definitions (with their integration) and the text hash stored for each that has a vector.</summary>
public sealed record DefinitionHashes(IReadOnlyList<TaskDefinition> Definitions, IReadOnlyDictionary<Guid, string> Hashes);

/// <summary>A vector to store for a definition, with the hash of the text it was computed from.</summary>
public sealed record EmbeddingRow(Guid TaskDefinitionId, string TextHash, float[] Vector, DateTime EmbeddedAt);

/// <summary>A live definition and its stored vector.</summary>
public sealed record DefinitionVector(TaskDefinition Definition, float[] Vector);

/// <summary>
/// Queries and commands of the catalogue's sentence embeddings (<c>task_definition_embeddings</c>). The catalogue is
/// global: every context here has no tenant and is stamped as the catalogue's own writes. The soft-delete filter on task
/// definitions leaves out definitions that left the code, and so their vectors.
/// </summary>
public sealed class TaskDefinitionEmbeddings(IServiceScopeFactory scopes)
{
    // Any constant unique to this purpose (the catalogue sync uses …0001).
    private const long LockKey = 0x4E45454E41_0002;

    public async Task<DefinitionHashes> ReadHashesAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await using var db = CreateContext(scope.ServiceProvider);
        return await ReadHashesAsync(db, cancellationToken);
    }

    /// <summary>
    /// In one transaction under an advisory lock, so that instances refreshing at once embed each change once: reads the
    /// definitions and hashes again (another instance may have stored them meanwhile), asks <paramref name="embed"/> for
    /// the rows to store, and inserts or replaces them.
    /// </summary>
    public async Task<T> RefreshUnderLockAsync<T>(
        Func<DefinitionHashes, CancellationToken, Task<(IReadOnlyList<EmbeddingRow> Rows, T Result)>> embed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(embed);
        await using var scope = scopes.CreateAsyncScope();
        await using var db = CreateContext(scope.ServiceProvider);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockKey})", cancellationToken);
        var (rows, result) = await embed(await ReadHashesAsync(db, cancellationToken), cancellationToken);
        if (rows.Count > 0)
        {
            var ids = rows.Select(r => r.TaskDefinitionId).ToList();
            var stored = await db.TaskDefinitionEmbeddings.Where(e => ids.Contains(e.TaskDefinitionId)).ToDictionaryAsync(e => e.TaskDefinitionId, cancellationToken);
            foreach (var row in rows)
            {
                if (stored.TryGetValue(row.TaskDefinitionId, out var existing))
                {
                    existing.TextHash = row.TextHash;
                    existing.Vector = row.Vector;
                    existing.EmbeddedAt = row.EmbeddedAt;
                }
                else
                {
                    db.TaskDefinitionEmbeddings.Add(new TaskDefinitionEmbedding { TaskDefinitionId = row.TaskDefinitionId, TextHash = row.TextHash, Vector = row.Vector, EmbeddedAt = row.EmbeddedAt });
                }
            }
            await db.SaveChangesAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>Every live definition that has a stored vector, with its integration.</summary>
    public async Task<IReadOnlyList<DefinitionVector>> ReadVectorsAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await using var db = CreateContext(scope.ServiceProvider);
        var rows = await db.TaskDefinitionEmbeddings.AsNoTracking()
            .Join(db.TaskDefinitions.Include(d => d.Integration), e => e.TaskDefinitionId, d => d.Id, (e, d) => new { e.Vector, Definition = d })
            .ToListAsync(cancellationToken);
        return rows.Select(r => new DefinitionVector(r.Definition, r.Vector)).ToList();
    }

    private static async Task<DefinitionHashes> ReadHashesAsync(NeenaDbContext db, CancellationToken cancellationToken)
    {
        var definitions = await db.TaskDefinitions.AsNoTracking().Include(d => d.Integration).ToListAsync(cancellationToken);
        var hashes = await db.TaskDefinitionEmbeddings.AsNoTracking()
            .Select(e => new { e.TaskDefinitionId, e.TextHash })
            .ToDictionaryAsync(e => e.TaskDefinitionId, e => e.TextHash, cancellationToken);
        return new DefinitionHashes(definitions, hashes);
    }

    private static NeenaDbContext CreateContext(IServiceProvider services) =>
        new(services.GetRequiredService<DbContextOptions<NeenaDbContext>>(), new FixedTenantContext(organizationId: null, userEmail: "catalogue"));
}
