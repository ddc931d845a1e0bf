using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Neena.Engine.LanguageModel;

public static class LanguageModelServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="LanguageModelClient"/> (configuration section <c>LanguageModel</c>). Bad settings stop the
    /// server at start-up naming the key that is wrong. The client is registered whatever the provider, so that callers ask
    /// <see cref="LanguageModelClient.IsEnabled"/> instead of probing the container; it connects on first use only.
    /// </summary>
    public static IServiceCollection AddNeenaLanguageModel(this IServiceCollection services)
    {
        services.AddOptions<LanguageModelOptions>()
            .BindConfiguration(LanguageModelOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LanguageModelOptions>, LanguageModelOptionsValidator>());
        services.TryAddSingleton<LanguageModelClient>();
        return services;
    }

    private sealed class LanguageModelOptionsValidator : IValidateOptions<LanguageModelOptions>
    {
        public ValidateOptionsResult Validate(string? name, LanguageModelOptions options) =>
            options.Validate() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }
}
