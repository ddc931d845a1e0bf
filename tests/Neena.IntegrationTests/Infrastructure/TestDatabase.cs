using Neena.DevDatabase;
using Npgsql;
using Testcontainers.PostgreSql;

namespace Neena.IntegrationTests.Infrastructure;

/// <summary>
/// The PostgreSQL server the tests use, found in the order DEVELOPERS.md gives: <c>NEENA_TEST_POSTGRES</c>; else Docker
/// through Testcontainers; else a throwaway cluster from this machine's PostgreSQL binaries; else a failure saying how to get one.
/// Every test class gets a database of its own, copied from a migrated template.
/// </summary>
public static class TestDatabase
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _adminConnectionString;
    private static string? _template;
    private static int _counter;

    public static async Task<string> CreateDatabaseAsync()
    {
        await Gate.WaitAsync();
        try
        {
            _adminConnectionString ??= await StartServerAsync();
            _template ??= await CreateTemplateAsync(_adminConnectionString);
            var name = $"neena_test_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}";
            await using var connection = new NpgsqlConnection(_adminConnectionString);
            await connection.OpenAsync();
            await using (var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection))
                await drop.ExecuteNonQueryAsync();
            await using (var create = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE {_template}", connection))
                await create.ExecuteNonQueryAsync();
            return new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = name }.ConnectionString;
        }
        finally
        {
            Gate.Release();
        }
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    private static async Task<string> StartServerAsync()
    {
        if (Environment.GetEnvironmentVariable("NEENA_TEST_POSTGRES") is { Length: > 0 } configured)
            return configured;

        if (DockerLooksAvailable())
        {
            try
            {
                var container = new PostgreSqlBuilder("postgres:16-alpine").Build();
                await container.StartAsync();
                AppDomain.CurrentDomain.ProcessExit += (_, _) => container.DisposeAsync().AsTask().GetAwaiter().GetResult();
                return container.GetConnectionString();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                await Console.Error.WriteLineAsync($"Testcontainers could not start PostgreSQL ({e.Message}); trying local binaries.");
            }
        }

        if (LocalPostgresCluster.FindBinDirectory() is not null)
        {
            var root = Path.Combine(Path.GetTempPath(), $"neena-test-pg-{Environment.ProcessId}-{Guid.NewGuid():N}");
            var cluster = await LocalPostgresCluster.StartAsync(root, deleteOnStop: true);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.StopAsync().GetAwaiter().GetResult();
            return cluster.ConnectionString("postgres");
        }

        throw new InvalidOperationException(
            "No PostgreSQL for the tests: set NEENA_TEST_POSTGRES to a connection string of a server where databases may be created, " +
            "run a Docker engine (Testcontainers), or install PostgreSQL's binaries (apt-get install postgresql).");
    }

    private static bool DockerLooksAvailable() =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST")) || File.Exists("/var/run/docker.sock");

    private static async Task<string> CreateTemplateAsync(string adminConnectionString)
    {
        var template = $"neena_template_{Environment.ProcessId}";
        await using (var connection = new NpgsqlConnection(adminConnectionString))
        {
            await connection.OpenAsync();
            await using (var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {template} WITH (FORCE)", connection))
                await drop.ExecuteNonQueryAsync();
            await using (var create = new NpgsqlCommand($"CREATE DATABASE {template}", connection))
                await create.ExecuteNonQueryAsync();
        }
        var templateConnection = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = template }.ConnectionString;
        await Migrations.ApplyAsync(templateConnection);
        // CREATE DATABASE … TEMPLATE refuses while anyone is connected to the template.
        NpgsqlConnection.ClearAllPools();
        return template;
    }
}
