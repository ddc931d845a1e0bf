using Neena.Agent.Retrieval;
using Neena.Api.Contracts.Catalogue;

namespace Neena.Api.Services;

/// <summary>
/// The original's <c>GET /task_definitions/retrieve</c>: the catalogue's definitions most similar to a request, by the
/// same local embeddings the planner chooses its candidates with (the model loads on first use).
/// </summary>
public sealed class TaskDefinitionRetrievalService(TaskDefinitionIndex index, CatalogueService catalogue)
{
    public async Task<IReadOnlyList<RetrievedTaskDefinitionResponse>> RetrieveAsync(RetrieveQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var candidates = await index.SearchAsync(query.Request!.Trim(), query.K, cancellationToken);
        var definitions = (await catalogue.GetTaskDefinitionsAsync(candidates.Select(c => c.Definition.Id).ToList(), cancellationToken))
            .ToDictionary(d => d.Id);
        // A definition deleted between the search and the read is left out rather than answered half.
        return candidates
            .Where(c => definitions.ContainsKey(c.Definition.Id))
            .Select(c => RetrievedTaskDefinitionResponse.Of(definitions[c.Definition.Id], Math.Round(c.Similarity, 4)))
            .ToList();
    }
}
