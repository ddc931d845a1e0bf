using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Neena.Agent.Preparation;

namespace Neena.Engine;

public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// Registers the execution engine (configuration section <c>Engine</c>). Needs persistence (the data source and the
    /// context) and the integrations (catalogue and invoker). The hosted engine is left out when the configuration
    /// already says <c>Engine:Enabled = false</c>; since some hosts (tests) add configuration after registration, the
    /// engine also checks the bound value when it starts.
    /// </summary>
    public static IServiceCollection AddNeenaEngine(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<EngineOptions>()
            .BindConfiguration(EngineOptions.SectionName)
            .Validate(o => o.Validate() is null, "Invalid Engine settings: check Engine:* values (they must be positive, MaxAttempts at least 1).")
            .ValidateOnStart();
        services.AddMetrics();
        services.TryAddSingleton<EngineMetrics>();
        // The language model is optional: none is registered by default, and then preparation falls back to name matching.
        services.TryAddSingleton(sp => new TaskPreparer(sp.GetService<Neena.Agent.LanguageModel.LanguageModelClient>()));

        if (configuration.GetSection(EngineOptions.SectionName).GetValue(nameof(EngineOptions.Enabled), true))
            services.AddHostedService<FlowRunEngine>();
        return services;
    }
}
