using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Neena.Engine;

public static class EngineServiceCollectionExtensions
{
    public static IServiceCollection AddNeenaEngine(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services;
    }
}
