using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Neena.Agent.Preparation;

namespace Neena.Engine;

public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// Registers what the execution engine needs (configuration section <c>Engine</c>). Needs persistence (the data source
    /// and the context) and the integrations (catalogue and invoker). The host starts the engine itself, with its other
    /// workers (<c>AddHostedService&lt;FlowRunEngine&gt;()</c>); the engine checks <c>Engine:Enabled</c> when it starts.
    /// </summary>
    public static IServiceCollection AddNeenaEngine(this IServiceCollection services)
    {
        services.AddOptions<EngineOptions>()
            .BindConfiguration(EngineOptions.SectionName)
            .Validate(o => o.Validate() is null, "Invalid Engine settings: check Engine:* values (they must be positive, MaxAttempts at least 1).")
            .ValidateOnStart();
        services.AddMetrics();
        services.TryAddSingleton<EngineMetrics>();
        // The language model is optional: none is registered by default, and then preparation falls back to name matching.
        services.TryAddSingleton(sp => new TaskPreparer(sp.GetService<Neena.Agent.LanguageModel.LanguageModelClient>()));
        return services;
    }
}
