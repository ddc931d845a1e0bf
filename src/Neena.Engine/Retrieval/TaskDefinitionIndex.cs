using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Neena.Domain.Catalogue;
using Neena.Persistence;

namespace Neena.Engine.Retrieval;

/// <summary>A task definition found for a request, with its cosine similarity to the request (−1…1).</summary>
public sealed record TaskCandidate(TaskDefinition Definition, string IntegrationName, double Similarity);

/// <summary>What a refresh did: definitions embedded now, and definitions whose stored vector was still current.</summary>
public sealed record EmbeddingRefresh(int Embedded, int Current);

/// <summary>
/// The catalogue's sentence embeddings in PostgreSQL (<c>task_definition_embeddings</c>) and the search over them.
/// A definition is embedded again only when the text that describes it changed (a hash of that text and of the model
/// is stored beside the vector), so an ordinary restart finds everything current and never loads the model. Instances
/// that refresh at once serialise on an advisory lock and re-check under it, so each change is embedded once.
/// </summary>
public sealed class TaskDefinitionIndex(IServiceScopeFactory scopes, SentenceEmbedder embedder, TimeProvider time, ILogger<TaskDefinitionIndex> logger)
{
    // Any constant unique to this purpose (the catalogue sync uses …0001).
    private const long LockKey = 0x4E45454E41_0002;

    // Set once a refresh found or made every vector current. The catalogue changes only when an instance starts with
    // other code, and that instance embeds the change itself; until then this one searches with the vectors it has.
    private volatile bool _current;

    /// <summary>Embeds the live definitions whose stored vector is missing or was computed from another text.</summary>
    public async Task<EmbeddingRefresh> RefreshAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await using var db = CreateContext(scope.ServiceProvider);
        var (stale, current) = await FindStaleAsync(db, cancellationToken);
        if (stale.Count == 0)
        {
            _current = true;
            return new EmbeddingRefresh(0, current);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockKey})", cancellationToken);
        // Another instance may have embedded them while this one waited for the lock.
        (stale, current) = await FindStaleAsync(db, cancellationToken);
        if (stale.Count > 0)
        {
            var started = time.GetTimestamp();
            var vectors = await embedder.EmbedAsync(stale.Select(s => s.Text).ToList(), cancellationToken);
            var ids = stale.Select(s => s.Id).ToList();
            var stored = await db.TaskDefinitionEmbeddings.Where(e => ids.Contains(e.TaskDefinitionId)).ToDictionaryAsync(e => e.TaskDefinitionId, cancellationToken);
            var now = time.GetUtcNow().UtcDateTime;
            for (var i = 0; i < stale.Count; i++)
            {
                if (stored.TryGetValue(stale[i].Id, out var row))
                {
                    row.TextHash = stale[i].Hash;
                    row.Vector = vectors[i];
                    row.EmbeddedAt = now;
                }
                else
                {
                    db.TaskDefinitionEmbeddings.Add(new TaskDefinitionEmbedding { TaskDefinitionId = stale[i].Id, TextHash = stale[i].Hash, Vector = vectors[i], EmbeddedAt = now });
                }
            }
            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("Embedded {Count} task definitions in {Elapsed:0} ms", stale.Count, time.GetElapsedTime(started).TotalMilliseconds);
        }
        await transaction.CommitAsync(cancellationToken);
        _current = true;
        return new EmbeddingRefresh(stale.Count, current);
    }

    /// <summary>The live definitions most similar to <paramref name="text"/>, best first, at most <paramref name="count"/>.</summary>
    public async Task<IReadOnlyList<TaskCandidate>> SearchAsync(string text, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!_current)
            await RefreshAsync(cancellationToken);
        var query = (await embedder.EmbedAsync([text], cancellationToken))[0];

        await using var scope = scopes.CreateAsyncScope();
        await using var db = CreateContext(scope.ServiceProvider);
        // The soft-delete filter on task definitions leaves out vectors of definitions that left the code.
        var rows = await db.TaskDefinitionEmbeddings.AsNoTracking()
            .Join(db.TaskDefinitions.Include(d => d.Integration), e => e.TaskDefinitionId, d => d.Id, (e, d) => new { e.Vector, Definition = d })
            .ToListAsync(cancellationToken);
        return rows
            .Select(r => new TaskCandidate(r.Definition, r.Definition.Integration?.Name ?? "", SentenceEmbedder.Cosine(query, r.Vector)))
            .OrderByDescending(c => c.Similarity)
            .ThenBy(c => c.Definition.TaskName, StringComparer.Ordinal)
            .Take(Math.Max(0, count))
            .ToList();
    }

    /// <summary>
    /// What is embedded for a definition: its name, integration, description, and its inputs and outputs with their
    /// doc strings — the words a request is likely to share with the task that serves it.
    /// </summary>
    public static string EmbeddingText(TaskDefinition definition, string integrationName)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{definition.TaskName} ({integrationName}): {definition.Description}");
        if (definition.Parameters.Count > 0)
            text.Append(" Inputs: ").AppendJoin("; ", definition.Parameters.OrderBy(p => p.Position).Select(Describe)).Append('.');
        if (definition.OutputParameters.Count > 0)
            text.Append(" Outputs: ").AppendJoin("; ", definition.OutputParameters.OrderBy(p => p.Position).Select(Describe)).Append('.');
        return text.ToString();

        static string Describe(ParameterDefinition p) =>
            string.IsNullOrWhiteSpace(p.DocString) ? p.Name : $"{p.Name}: {p.DocString.TrimEnd('.')}";
    }

    public static string Hash(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(SentenceEmbedder.ModelName + "\n" + text)));

    private sealed record Stale(Guid Id, string Text, string Hash);

    private static async Task<(List<Stale> Stale, int Current)> FindStaleAsync(NeenaDbContext db, CancellationToken cancellationToken)
    {
        var definitions = await db.TaskDefinitions.AsNoTracking().Include(d => d.Integration).ToListAsync(cancellationToken);
        var hashes = await db.TaskDefinitionEmbeddings.AsNoTracking()
            .Select(e => new { e.TaskDefinitionId, e.TextHash })
            .ToDictionaryAsync(e => e.TaskDefinitionId, e => e.TextHash, cancellationToken);
        var stale = new List<Stale>();
        foreach (var definition in definitions.OrderBy(d => d.Id))
        {
            var text = EmbeddingText(definition, definition.Integration?.Name ?? "");
            var hash = Hash(text);
            if (!hashes.TryGetValue(definition.Id, out var stored) || stored != hash)
                stale.Add(new Stale(definition.Id, text, hash));
        }
        return (stale, definitions.Count - stale.Count);
    }

    /// <summary>The catalogue is global: a context without a tenant, stamped as the catalogue's own writes.</summary>
    private static NeenaDbContext CreateContext(IServiceProvider services) =>
        new(services.GetRequiredService<DbContextOptions<NeenaDbContext>>(), new FixedTenantContext(organizationId: null, userEmail: "catalogue"));
}
