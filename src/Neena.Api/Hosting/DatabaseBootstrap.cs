using Microsoft.EntityFrameworkCore;
using Neena.DevDatabase;
using Neena.Persistence;

namespace Neena.Api.Hosting;

/// <summary>
/// Decides which database the process uses and prepares it: the configured <c>ConnectionStrings:Neena</c>,
/// or outside Production an embedded cluster from the local PostgreSQL binaries; then applies migrations.
/// </summary>
public sealed class DatabaseBootstrap(IConfiguration configuration, IHostEnvironment environment, ILogger<DatabaseBootstrap> logger)
{
    public const string ConnectionStringName = "Neena";
    private string? _connectionString;

    public LocalPostgresCluster? EmbeddedCluster { get; private set; }

    public string ConnectionString => _connectionString
        ?? throw new InvalidOperationException("The database is not prepared yet: call DatabaseBootstrap.PrepareAsync at start-up.");

    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        if (_connectionString is not null)
            return;
        var configured = configuration.GetConnectionString(ConnectionStringName);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            _connectionString = configured;
            return;
        }
        if (environment.IsProduction())
        {
            throw new StartupException(
                "No database configured: set ConnectionStrings__Neena (e.g. \"Host=db;Database=neena;Username=neena;Password=...\"). " +
                "The embedded development database is only started outside the Production environment.");
        }

        var dataDirectory = configuration["DevDatabase:DataDirectory"] is { Length: > 0 } dir
            ? Path.GetFullPath(dir, environment.ContentRootPath)
            : Path.Combine(environment.ContentRootPath, ".local", "postgres");
        logger.LogInformation("No ConnectionStrings__Neena set: starting the embedded PostgreSQL in {DataDirectory}", dataDirectory);
        try
        {
            EmbeddedCluster = await LocalPostgresCluster.StartAsync(dataDirectory, deleteOnStop: false, cancellationToken);
            await EmbeddedCluster.EnsureDatabaseAsync("neena", cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or Npgsql.NpgsqlException or IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"The embedded PostgreSQL could not start in {dataDirectory}: {e.Message}", e);
        }
        _connectionString = EmbeddedCluster.ConnectionString("neena");
        logger.LogInformation("Embedded PostgreSQL listening on 127.0.0.1:{Port}", EmbeddedCluster.Port);
    }

    public static async Task MigrateAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NeenaDbContext>();
        await db.Database.MigrateAsync(cancellationToken);
    }

    /// <param name="onlyIfStartedHere">A short command must not stop the cluster under a running server.</param>
    public Task StopEmbeddedAsync(bool onlyIfStartedHere = false) =>
        EmbeddedCluster is { } cluster && (!onlyIfStartedHere || cluster.StartedHere) ? cluster.StopAsync() : Task.CompletedTask;
}

/// <summary>Stops the embedded cluster after the server has stopped serving.</summary>
internal sealed class EmbeddedDatabaseLifetime(DatabaseBootstrap bootstrap) : IHostedLifecycleService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => bootstrap.StopEmbeddedAsync();
}
