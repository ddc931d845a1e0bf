using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Neena.Engine.Retrieval;

public static class RetrievalServiceCollectionExtensions
{
    /// <summary>Registers the embedder (model loaded on first use), the catalogue index and its start-up refresh. Needs persistence.</summary>
    public static IServiceCollection AddNeenaRetrieval(this IServiceCollection services)
    {
        services.AddOptions<RetrievalOptions>().BindConfiguration(RetrievalOptions.SectionName);
        services.TryAddSingleton<SentenceEmbedder>();
        services.TryAddSingleton<TaskDefinitionIndex>();
        services.AddHostedService<CatalogueEmbeddingService>();
        return services;
    }
}
