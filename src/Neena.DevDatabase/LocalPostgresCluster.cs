using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace Neena.DevDatabase;

/// <summary>
/// A PostgreSQL cluster run from this machine's binaries (<c>initdb</c>/<c>pg_ctl</c>): the database behind
/// <c>dotnet run</c> when no connection string is configured, and the tests' database when neither
/// <c>NEENA_TEST_POSTGRES</c> nor Docker is available. PostgreSQL refuses to run as root, so under root
/// every server command runs as the <c>postgres</c> user through <c>runuser</c>.
/// </summary>
public sealed class LocalPostgresCluster : IAsyncDisposable
{
    private const string Superuser = "neena";
    private readonly string _binDirectory;
    private readonly string _rootDirectory;
    private readonly bool _deleteOnStop;
    private readonly string? _runAs;
    private bool _stopped;

    private LocalPostgresCluster(string binDirectory, string rootDirectory, bool deleteOnStop, string? runAs)
    {
        _binDirectory = binDirectory;
        _rootDirectory = rootDirectory;
        _deleteOnStop = deleteOnStop;
        _runAs = runAs;
    }

    public int Port { get; private set; }

    /// <summary>False when the cluster was already running (left by a crashed server, or serving a running one).</summary>
    public bool StartedHere { get; private set; }
    public string Password { get; private set; } = "";

    private string DataDirectory => Path.Combine(_rootDirectory, "data");
    private string PasswordFile => Path.Combine(_rootDirectory, "password");
    private string LogFile => Path.Combine(_rootDirectory, "postgres.log");

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = Superuser,
        Password = Password,
        Database = database,
    }.ConnectionString;

    /// <summary>The directory holding <c>initdb</c> and <c>pg_ctl</c>: PATH first, then the newest <c>/usr/lib/postgresql/*/bin</c>.</summary>
    public static string? FindBinDirectory()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                // Debian links only some tools onto PATH; resolve to the real bin folder so pg_ctl finds postgres.
                var initdb = new FileInfo(Path.Combine(dir, "initdb"));
                var target = initdb.ResolveLinkTarget(returnFinalTarget: true);
                return target is not null ? Path.GetDirectoryName(target.FullName) : dir;
            }
        }
        const string debianRoot = "/usr/lib/postgresql";
        if (!Directory.Exists(debianRoot))
            return null;
        return Directory.GetDirectories(debianRoot)
            .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
            .Where(x => File.Exists(Path.Combine(x.Dir, "initdb")) && File.Exists(Path.Combine(x.Dir, "pg_ctl")))
            .OrderByDescending(x => x.Version)
            .Select(x => x.Dir)
            .FirstOrDefault();
    }

    /// <summary>Starts (initialising on first use) a cluster kept in <paramref name="rootDirectory"/>; reuses one already running there.</summary>
    public static async Task<LocalPostgresCluster> StartAsync(string rootDirectory, bool deleteOnStop, CancellationToken cancellationToken = default)
    {
        var bin = FindBinDirectory() ?? throw new InvalidOperationException(
            "PostgreSQL binaries (initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql/*/bin. " +
            "Install PostgreSQL (e.g. `apt-get install postgresql`) or set ConnectionStrings__Neena to an existing database.");
        var runAs = Environment.IsPrivilegedProcess ? "postgres" : null;
        if (deleteOnStop)
            DeleteStaleTemporaryClusters();
        var cluster = new LocalPostgresCluster(bin, Path.GetFullPath(rootDirectory), deleteOnStop, runAs);
        await cluster.InitialiseAndStartAsync(cancellationToken);
        return cluster;
    }

    private async Task InitialiseAndStartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_rootDirectory);
        if (_runAs is not null)
            await RunAsync("chown", ["-R", $"{_runAs}:", _rootDirectory], asServerUser: false, cancellationToken);

        if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            Password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
            await File.WriteAllTextAsync(PasswordFile, Password, cancellationToken);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(PasswordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            if (_runAs is not null)
                await RunAsync("chown", [$"{_runAs}:", PasswordFile], asServerUser: false, cancellationToken);
            await RunAsync(Path.Combine(_binDirectory, "initdb"),
                ["-D", DataDirectory, "-U", Superuser, "--pwfile", PasswordFile, "--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"],
                asServerUser: true, cancellationToken);
        }
        Password = (await File.ReadAllTextAsync(PasswordFile, cancellationToken)).Trim();

        var runningPort = await RunningPortAsync(cancellationToken);
        if (runningPort is { } port)
        {
            Port = port;
        }
        else
        {
            Port = FreePort();
            // No Unix socket: the cluster is reached over TCP on loopback only, which works whoever runs it.
            var serverOptions = $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300";
            // A throwaway test cluster trades durability for speed; a kept development database does not.
            if (_deleteOnStop)
                serverOptions += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
            await RunAsync(Path.Combine(_binDirectory, "pg_ctl"),
                ["start", "-D", DataDirectory, "-w", "-t", "120", "-l", LogFile, "-o", serverOptions],
                asServerUser: true, cancellationToken);
            StartedHere = true;
        }
    }

    /// <summary>Creates <paramref name="database"/> when missing (optionally as a copy of <paramref name="template"/>).</summary>
    public async Task EnsureDatabaseAsync(string database, string? template = null, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.AddWithValue(database);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
            return;
        var sql = $"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
        if (template is not null)
            sql += $" TEMPLATE \"{template.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
        await using var create = new NpgsqlCommand(sql, connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task StopAsync()
    {
        if (_stopped)
            return;
        _stopped = true;
        NpgsqlConnection.ClearAllPools();
        await RunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60"], asServerUser: true, CancellationToken.None);
        if (_deleteOnStop)
        {
            try
            {
                Directory.Delete(_rootDirectory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A leftover temp folder is harmless (the next throwaway cluster sweeps it); failing a test run over it is not.
            }
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    /// <summary>
    /// Removes throwaway cluster folders (<c>neena-*-pg-PID-*</c> in the temp directory) whose creating process is gone.
    /// A test host killed at exit, or stopped in a debugger, never runs its own clean-up.
    /// </summary>
    public static void DeleteStaleTemporaryClusters()
    {
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), "neena-*-pg-*"))
        {
            var name = Path.GetFileName(dir);
            var marker = name.IndexOf("-pg-", StringComparison.Ordinal);
            var pidText = name[(marker + 4)..].Split('-')[0];
            if (!int.TryParse(pidText, System.Globalization.CultureInfo.InvariantCulture, out var pid) || ProcessIsAlive(pid))
                continue;
            // A server still running from that folder (its creator died without stopping it) is left alone.
            if (File.Exists(Path.Combine(dir, "data", "postmaster.pid")))
                continue;
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Someone else is sweeping or using it; try again next time.
            }
        }
    }

    private static bool ProcessIsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private async Task<int?> RunningPortAsync(CancellationToken cancellationToken)
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile))
            return null;
        var (status, _) = await TryRunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["status", "-D", DataDirectory], asServerUser: true, cancellationToken);
        if (status != 0)
            return null;
        // postmaster.pid line 4 is the port the running server listens on.
        var lines = await File.ReadAllLinesAsync(pidFile, cancellationToken);
        return lines.Length > 3 && int.TryParse(lines[3].Trim(), out var port) ? port : null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task RunAsync(string file, IReadOnlyList<string> args, bool asServerUser, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await TryRunAsync(file, args, asServerUser, cancellationToken);
        if (exitCode != 0)
        {
            var log = File.Exists(LogFile) ? await File.ReadAllTextAsync(LogFile, cancellationToken) : "";
            throw new InvalidOperationException($"`{Path.GetFileName(file)} {(args.Count > 0 ? args[0] : "")}` failed with exit code {exitCode}: {output}\n{Tail(log)}");
        }
    }

    private async Task<(int ExitCode, string Output)> TryRunAsync(string file, IReadOnlyList<string> args, bool asServerUser, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asServerUser && _runAs is not null)
        {
            start.FileName = "runuser";
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add(_runAs);
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(file);
        }
        else
        {
            start.FileName = file;
        }
        foreach (var arg in args)
            start.ArgumentList.Add(arg);

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        // pg_ctl start leaves the server holding inherited pipes; read to completion only what exits with the command.
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var output = await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromSeconds(2), cancellationToken)) is Task<string[]> done
            ? string.Join('\n', done.Result)
            : "";
        return (process.ExitCode, output.Trim());
    }

    private static string Tail(string text) => text.Length <= 2000 ? text : text[^2000..];
}
