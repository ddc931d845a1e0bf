using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Neena.Persistence;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without a running server or database.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<NeenaDbContext>
{
    public NeenaDbContext CreateDbContext(string[] args)
    {
        var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__Neena") ?? "Host=127.0.0.1;Database=neena_design";
        var builder = new DbContextOptionsBuilder<NeenaDbContext>();
        PersistenceServiceCollectionExtensions.Configure(builder.UseNpgsql(connectionString, PersistenceServiceCollectionExtensions.ConfigureNpgsql));
        return new NeenaDbContext(builder.Options, new FixedTenantContext());
    }
}
