using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Neena.Engine.Retrieval;

public static class RetrievalServiceCollectionExtensions
{
    /// <summary>
    /// Registers the embedder and the catalogue index. Nothing runs at start-up: the model (~90 MB) is loaded, and stale
    /// definitions embedded, when planning first searches the catalogue, so a server that never plans never loads it.
    /// Needs persistence.
    /// </summary>
    public static IServiceCollection AddNeenaRetrieval(this IServiceCollection services)
    {
        services.TryAddSingleton<SentenceEmbedder>();
        services.TryAddSingleton<TaskDefinitionIndex>();
        return services;
    }
}
