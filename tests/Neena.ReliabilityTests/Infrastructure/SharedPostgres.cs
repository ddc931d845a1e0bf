using Neena.DevDatabase;
using Neena.Harness;
using Testcontainers.PostgreSql;

namespace Neena.ReliabilityTests.Infrastructure;

/// <summary>
/// The PostgreSQL server the reliability tests share, found as the integration tests find theirs: <c>NEENA_TEST_POSTGRES</c>;
/// else Docker through Testcontainers; else a throwaway cluster from this machine's binaries. Each test gets a database of
/// its own, which the real server process migrates at start-up.
/// </summary>
public static class SharedPostgres
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static PostgresHost? _host;
    private static int _counter;

    public static async Task<(PostgresHost Host, string ConnectionString)> CreateDatabaseAsync(string purpose)
    {
        await Gate.WaitAsync();
        try
        {
            _host ??= await StartAsync();
            var name = $"neena_rel_{purpose}_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}";
            return (_host, await _host.CreateDatabaseAsync(name));
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<PostgresHost> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("NEENA_TEST_POSTGRES") is { Length: > 0 } configured)
            return PostgresHost.FromConnectionString(configured);

        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST")) || File.Exists("/var/run/docker.sock"))
        {
            try
            {
                var container = new PostgreSqlBuilder("postgres:16-alpine").WithCommand("-c", "max_connections=300").Build();
                await container.StartAsync();
                AppDomain.CurrentDomain.ProcessExit += (_, _) => container.DisposeAsync().AsTask().GetAwaiter().GetResult();
                return PostgresHost.FromConnectionString(container.GetConnectionString());
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                await Console.Error.WriteLineAsync($"Testcontainers could not start PostgreSQL ({e.Message}); trying local binaries.");
            }
        }

        if (LocalPostgresCluster.FindBinDirectory() is not null)
            return await PostgresHost.StartLocalAsync("reliability");

        throw new InvalidOperationException(
            "No PostgreSQL for the reliability tests: set NEENA_TEST_POSTGRES, run a Docker engine, or install PostgreSQL's binaries.");
    }
}
