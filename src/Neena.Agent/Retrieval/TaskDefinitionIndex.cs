using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Neena.Domain.Catalogue;
using Neena.Persistence.Retrieval;

namespace Neena.Agent.Retrieval;

/// <summary>A task definition found for a request, with its cosine similarity to the request (−1…1).</summary>
public sealed record TaskCandidate(TaskDefinition Definition, string IntegrationName, double Similarity);

/// <summary>What a refresh did: definitions embedded now, and definitions whose stored vector was still current.</summary>
public sealed record EmbeddingRefresh(int Embedded, int Current);

/// <summary>
/// The catalogue's sentence embeddings (stored through <see cref="TaskDefinitionEmbeddings"/>) and the search over them.
/// A definition is embedded again only when the text that describes it changed (a hash of that text and of the model
/// is stored beside the vector), so an ordinary restart finds everything current and never loads the model. Instances
/// that refresh at once serialise on a lock and re-check under it, so each change is embedded once.
/// </summary>
public sealed class TaskDefinitionIndex(TaskDefinitionEmbeddings store, SentenceEmbedder embedder, TimeProvider time, ILogger<TaskDefinitionIndex> logger)
{
    // Set once a refresh found or made every vector current. The catalogue changes only when an instance starts with
    // other code, and that instance embeds the change itself; until then this one searches with the vectors it has.
    private volatile bool _current;

    /// <summary>Embeds the live definitions whose stored vector is missing or was computed from another text.</summary>
    public async Task<EmbeddingRefresh> RefreshAsync(CancellationToken cancellationToken)
    {
        var (stale, current) = FindStale(await store.ReadHashesAsync(cancellationToken));
        if (stale.Count == 0)
        {
            _current = true;
            return new EmbeddingRefresh(0, current);
        }

        var refresh = await store.RefreshUnderLockAsync(async (stored, token) =>
        {
            // Another instance may have embedded them while this one waited for the lock.
            var (stillStale, current) = FindStale(stored);
            if (stillStale.Count == 0)
                return ((IReadOnlyList<EmbeddingRow>)[], new EmbeddingRefresh(0, current));
            var started = time.GetTimestamp();
            var vectors = await embedder.EmbedAsync(stillStale.Select(s => s.Text).ToList(), token);
            var now = time.GetUtcNow().UtcDateTime;
            var rows = stillStale.Select((s, i) => new EmbeddingRow(s.Id, s.Hash, vectors[i], now)).ToList();
            logger.LogInformation("Embedded {Count} task definitions in {Elapsed:0} ms", rows.Count, time.GetElapsedTime(started).TotalMilliseconds);
            return (rows, new EmbeddingRefresh(rows.Count, current));
        }, cancellationToken);
        _current = true;
        return refresh;
    }

    /// <summary>The live definitions most similar to <paramref name="text"/>, best first, at most <paramref name="count"/>.</summary>
    public async Task<IReadOnlyList<TaskCandidate>> SearchAsync(string text, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!_current)
            await RefreshAsync(cancellationToken);
        var query = (await embedder.EmbedAsync([text], cancellationToken))[0];
        var rows = await store.ReadVectorsAsync(cancellationToken);
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

    /// <summary>What is stored beside a vector: the text and the model that embedded it.</summary>
    public static string Hash(string modelName, string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(modelName + "\n" + text)));

    private sealed record Stale(Guid Id, string Text, string Hash);

    private (List<Stale> Stale, int Current) FindStale(DefinitionHashes stored)
    {
        var stale = new List<Stale>();
        foreach (var definition in stored.Definitions.OrderBy(d => d.Id))
        {
            var text = EmbeddingText(definition, definition.Integration?.Name ?? "");
            var hash = Hash(embedder.ModelName, text);
            if (!stored.Hashes.TryGetValue(definition.Id, out var hashed) || hashed != hash)
                stale.Add(new Stale(definition.Id, text, hash));
        }
        return (stale, stored.Definitions.Count - stale.Count);
    }
}
