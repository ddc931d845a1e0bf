using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Neena.Persistence;

public static class PersistenceServiceCollectionExtensions
{
    /// <summary>The keyed <see cref="NpgsqlDataSource"/> for LISTEN connections: unpooled, so no listening session ever returns to the pool.</summary>
    public const string ListenerDataSource = "listener";

    /// <summary>
    /// Statements each connection keeps prepared (Npgsql automatic preparation): PostgreSQL then parses and plans a
    /// hot statement once per connection instead of on every execution. Unless the connection string sets its own.
    /// </summary>
    public const int DefaultMaxAutoPrepare = 100;

    /// <summary>
    /// One data source (and so one connection pool) per process, and contexts leased from a pool, one per request. A
    /// pooled context carries no request's state: its tenant is the process-wide <see cref="ITenantContext"/>, which
    /// reads the acting organization when a query runs (the API's from the current request), and the pool resets the
    /// change tracker between leases. Code that acts for a tenant of its own (the engine) creates its own contexts.
    /// </summary>
    /// <param name="connectionString">Read when the data source is first needed, after configuration is complete (tests override it late).</param>
    public static IServiceCollection AddNeenaPersistence(this IServiceCollection services, Func<IServiceProvider, string> connectionString)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<AuditInterceptor>();
        // A host that acts for no organization (an engine-only worker) sees no tenant rows through a pooled context.
        services.TryAddSingleton<ITenantContext>(new FixedTenantContext());
        services.AddSingleton(sp => new NpgsqlDataSourceBuilder(Tune(connectionString(sp))).Build());
        services.AddKeyedSingleton(ListenerDataSource, (sp, _) => new NpgsqlDataSourceBuilder(
            new NpgsqlConnectionStringBuilder(connectionString(sp)) { Pooling = false }.ConnectionString).Build());
        services.AddOptions<NotificationHubOptions>();
        services.AddSingleton(sp => new NotificationHub(
            sp.GetRequiredKeyedService<NpgsqlDataSource>(ListenerDataSource),
            sp.GetRequiredService<ILogger<NotificationHub>>(),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<NotificationHubOptions>>()));
        services.AddSingleton<FlowRuns.ApprovalAnnouncer>();
        services.AddDbContextPool<NeenaDbContext>((sp, options) =>
        {
            // Value converters are static: the one place that can report a stored value too deep to read gets the logger here.
            if (sp.GetService<ILoggerFactory>() is { } logging)
                Configurations.JsonColumns.Logger = logging.CreateLogger("Neena.Persistence.StoredJson");
            Configure(options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>(), ConfigureNpgsql))
                .AddInterceptors(sp.GetRequiredService<AuditInterceptor>());
        });
        return services;
    }

    /// <summary>
    /// Connections the pool may open, unless the connection string sets <c>Maximum Pool Size</c>. Npgsql's own default
    /// (100) plus the listeners' connections is more than PostgreSQL's default <c>max_connections</c> (100, some of them
    /// reserved for superusers), so a busy instance would be refused connections ("53300: sorry, too many clients
    /// already") instead of waiting for one of its own. <see cref="ConnectionBudget"/> checks the sum at start-up.
    /// </summary>
    public const int DefaultMaxPoolSize = 50;

    /// <summary>
    /// Bytes each connection reads from its socket at once, unless the connection string sets <c>Read Buffer Size</c>
    /// (Npgsql's own default is 8 KiB). A page of 100 runs brings about 1.1 MB of stored JSON, which the answer copies
    /// from the reader as it goes: in 8 KiB reads that was about 140 receive calls per answer, most of them blocking
    /// the writing thread, and a fifth of the server's CPU time for the list (issue 23); in 32 KiB reads, a quarter of
    /// them. The buffer is allocated once per open connection (at most the pool's size).
    /// </summary>
    public const int DefaultReadBufferSize = 32 * 1024;

    /// <summary>
    /// The connection string with automatic preparation on, no session reset when a connection goes back to the pool
    /// (<see cref="NpgsqlConnectionStringBuilder.NoResetOnClose"/>), the pool sized and the read buffer as
    /// <see cref="DefaultReadBufferSize"/>, unless it says otherwise.
    /// </summary>
    /// <remarks>
    /// The reset (<c>RESET ALL</c>, <c>UNLISTEN *</c>, <c>CLOSE ALL</c>, … sent before the next use of the connection) is
    /// one more transaction in PostgreSQL for every connection taken from the pool: about a third of an engine run's
    /// transactions (issue 23). Nothing on the pooled data source leaves session state behind: listeners use their own
    /// unpooled data source, settings are <c>SET LOCAL</c>, advisory locks are transaction-scoped, no temporary tables or
    /// cursors outlive a command; an open transaction is still rolled back when its connection is returned.
    /// </remarks>
    public static string Tune(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var keywords = connectionString.Replace(" ", "", StringComparison.Ordinal);
        if (!keywords.Contains("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase))
            builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        if (!keywords.Contains("NoResetOnClose", StringComparison.OrdinalIgnoreCase))
            builder.NoResetOnClose = true;
        if (!keywords.Contains("MaxPoolSize", StringComparison.OrdinalIgnoreCase) && !keywords.Contains("MaximumPoolSize", StringComparison.OrdinalIgnoreCase))
            builder.MaxPoolSize = DefaultMaxPoolSize;
        if (!keywords.Contains("ReadBufferSize", StringComparison.OrdinalIgnoreCase))
            builder.ReadBufferSize = DefaultReadBufferSize;
        return builder.ConnectionString;
    }

    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options) =>
        options.UseSnakeCaseNamingConvention();

    public static void ConfigureNpgsql(Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure.NpgsqlDbContextOptionsBuilder npgsql) =>
        npgsql.MigrationsHistoryTable("__ef_migrations_history");
}
