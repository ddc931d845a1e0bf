using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Neena.Agent.LanguageModel;
using Neena.Agent.Planning;
using Neena.Agent.Preparation;
using Neena.Agent.Retrieval;
using Neena.Persistence.Retrieval;

namespace Neena.Agent;

public static class AgentServiceCollectionExtensions
{
    /// <summary>
    /// Registers the agent: the language model client (configuration section <c>LanguageModel</c>), the catalogue's
    /// embeddings and search, task preparation, and flow planning (section <c>Planner</c>). Needs persistence.
    /// <typeparamref name="TFlowDraftReader"/> is the host's reading of a model's flow as the body of <c>POST /flows</c>.
    /// Bad settings stop the server at start-up naming the key that is wrong. Nothing connects or loads at start-up: the
    /// model client connects on first use, and the embedding model (~90 MB) is loaded, and stale definitions embedded, when
    /// planning first searches the catalogue.
    /// </summary>
    public static IServiceCollection AddNeenaAgent<TFlowDraftReader>(this IServiceCollection services)
        where TFlowDraftReader : class, IFlowDraftReader
    {
        // The client is registered whatever the provider, so that callers ask LanguageModelClient.IsEnabled instead of
        // probing the container.
        services.AddOptions<LanguageModelOptions>()
            .BindConfiguration(LanguageModelOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LanguageModelOptions>, LanguageModelOptionsValidator>());
        services.TryAddSingleton<LanguageModelClient>();

        services.TryAddSingleton<TaskDefinitionEmbeddings>();
        services.AddOptions<EmbeddingOptions>().BindConfiguration(EmbeddingOptions.SectionName);
        services.TryAddSingleton<SentenceEmbedder>();
        services.TryAddSingleton<TaskDefinitionIndex>();

        services.TryAddSingleton(sp => new TaskPreparer(sp.GetService<LanguageModelClient>()));

        services.AddOptions<PlannerOptions>()
            .BindConfiguration(PlannerOptions.SectionName)
            .Validate(o => o.Validate() is null, "Invalid Planner settings: Candidates 1…50, SimilarityThreshold -1…1, RelativeThreshold 0…1.")
            .ValidateOnStart();
        services.TryAddScoped<IFlowDraftReader, TFlowDraftReader>();
        services.TryAddScoped<ModelPlanner>();
        services.TryAddScoped<FlowPlanner>();
        return services;
    }

    private sealed class LanguageModelOptionsValidator : IValidateOptions<LanguageModelOptions>
    {
        public ValidateOptionsResult Validate(string? name, LanguageModelOptions options) =>
            options.Validate() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }
}
