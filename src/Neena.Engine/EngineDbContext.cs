using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Neena.Persistence;

namespace Neena.Engine;

/// <summary>
/// The engine's database context. The engine acts for every organization, outside any request, so it brings its own
/// tenant instead of relying on whatever the host registered for <see cref="ITenantContext"/> (the API's reads the
/// HTTP request, which a background worker does not have).
/// </summary>
internal static class EngineDbContext
{
    /// <summary>Stamped on the rows the engine writes through EF (the audit columns).</summary>
    public const string Actor = "engine";

    public static NeenaDbContext Create(IServiceProvider services) =>
        new(services.GetRequiredService<DbContextOptions<NeenaDbContext>>(), new FixedTenantContext(organizationId: null, userEmail: Actor));
}
