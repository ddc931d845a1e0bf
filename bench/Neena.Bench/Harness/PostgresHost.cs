using System.Diagnostics;
using Neena.DevDatabase;
using Npgsql;

namespace Neena.Harness;

/// <summary>
/// The PostgreSQL server behind a benchmark or a reliability test: a given one (an admin connection string, e.g.
/// <c>NEENA_TEST_POSTGRES</c>), or a throwaway <see cref="LocalPostgresCluster"/> from this machine's binaries, which
/// this class can also stop and start again (a database outage).
/// </summary>
public sealed class PostgresHost : IAsyncDisposable
{
    private readonly LocalPostgresCluster? _cluster;
    private readonly string? _rootDirectory;

    private PostgresHost(string adminConnectionString, LocalPostgresCluster? cluster, string? rootDirectory)
    {
        AdminConnectionString = adminConnectionString;
        _cluster = cluster;
        _rootDirectory = rootDirectory;
    }

    public string AdminConnectionString { get; }
    public bool IsLocalCluster => _cluster is not null;
    public string Description => _cluster is null ? "given server" : $"throwaway local cluster on 127.0.0.1:{_cluster.Port}";

    public static PostgresHost FromConnectionString(string adminConnectionString) => new(adminConnectionString, null, null);

    /// <summary>A new cluster in a temporary folder (deleted when disposed). Fails clearly without PostgreSQL binaries.</summary>
    public static async Task<PostgresHost> StartLocalAsync(string purpose)
    {
        if (LocalPostgresCluster.FindBinDirectory() is null)
        {
            throw new InvalidOperationException(
                "PostgreSQL binaries (initdb, pg_ctl) were not found: install PostgreSQL (apt-get install postgresql) " +
                "or give a server (NEENA_TEST_POSTGRES / --database).");
        }
        var root = Path.Combine(Path.GetTempPath(), $"neena-{purpose}-pg-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var cluster = await LocalPostgresCluster.StartAsync(root, deleteOnStop: true);
        var host = new PostgresHost(cluster.ConnectionString("postgres"), cluster, root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.StopAsync().GetAwaiter().GetResult();
        return host;
    }

    /// <summary>An empty database of its own (the server migrates it at start-up); returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using (var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection))
            await drop.ExecuteNonQueryAsync();
        await using (var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection))
            await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        try
        {
            await using var connection = new NpgsqlConnection(AdminConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // Cleanup only: a throwaway cluster goes away anyway.
        }
    }

    /// <summary>Stops the local cluster (<c>pg_ctl stop -m fast</c>): every connection is cut, new ones are refused.</summary>
    public Task StopServerAsync() => PgCtlAsync(["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60"]);

    /// <summary>Starts the local cluster again on the same port, with the options <see cref="LocalPostgresCluster"/> uses.</summary>
    public Task StartServerAsync()
    {
        var port = _cluster!.Port;
        var options = $"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300 " +
                      "-c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        return PgCtlAsync(["start", "-D", DataDirectory, "-w", "-t", "120", "-l", Path.Combine(_rootDirectory!, "postgres.log"), "-o", options]);
    }

    private string DataDirectory => _cluster is null
        ? throw new InvalidOperationException("Only a local cluster can be stopped and started.")
        : Path.Combine(_rootDirectory!, "data");

    private static async Task PgCtlAsync(IReadOnlyList<string> args)
    {
        var pgCtl = Path.Combine(LocalPostgresCluster.FindBinDirectory()!, "pg_ctl");
        var start = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        // PostgreSQL refuses to run as root; LocalPostgresCluster runs it as the postgres user then, and so must we.
        if (Environment.IsPrivilegedProcess)
        {
            start.FileName = "runuser";
            foreach (var a in new[] { "-u", "postgres", "--", pgCtl })
                start.ArgumentList.Add(a);
        }
        else
        {
            start.FileName = pgCtl;
        }
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not run pg_ctl.");
        // pg_ctl start leaves the postmaster holding the inherited pipes: do not wait for their end.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        await process.WaitForExitAsync(cts.Token);
        if (process.ExitCode != 0)
        {
            var output = await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(2000)) is Task<string[]> done ? string.Join('\n', done.Result) : "";
            throw new InvalidOperationException($"pg_ctl {args[0]} failed with exit code {process.ExitCode}: {output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
            await _cluster.StopAsync();
    }
}
