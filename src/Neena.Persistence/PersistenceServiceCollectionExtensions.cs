using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Neena.Persistence;

public static class PersistenceServiceCollectionExtensions
{
    /// <summary>The keyed <see cref="NpgsqlDataSource"/> for LISTEN connections: unpooled, so no listening session ever returns to the pool.</summary>
    public const string ListenerDataSource = "listener";

    /// <summary>
    /// One data source (and so one connection pool) per process, and a scoped context per request,
    /// because the tenant a context filters by differs per request.
    /// </summary>
    /// <param name="connectionString">Read when the data source is first needed, after configuration is complete (tests override it late).</param>
    public static IServiceCollection AddNeenaPersistence(this IServiceCollection services, Func<IServiceProvider, string> connectionString)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<AuditInterceptor>();
        services.AddSingleton(sp => new NpgsqlDataSourceBuilder(connectionString(sp)).Build());
        services.AddKeyedSingleton(ListenerDataSource, (sp, _) => new NpgsqlDataSourceBuilder(
            new NpgsqlConnectionStringBuilder(connectionString(sp)) { Pooling = false }.ConnectionString).Build());
        services.AddDbContext<NeenaDbContext>((sp, options) =>
            Configure(options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>(), ConfigureNpgsql))
                .AddInterceptors(sp.GetRequiredService<AuditInterceptor>()));
        return services;
    }

    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options) =>
        options.UseSnakeCaseNamingConvention();

    public static void ConfigureNpgsql(Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure.NpgsqlDbContextOptionsBuilder npgsql) =>
        npgsql.MigrationsHistoryTable("__ef_migrations_history");
}
