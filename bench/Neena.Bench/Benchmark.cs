using System.Diagnostics;
using System.Text.Json.Nodes;
using Neena.Harness;
using Npgsql;

/// <summary>The benchmark's state and its order of sections; each section lives in a file of its own.</summary>
internal sealed partial class Benchmark(BenchOptions options)
{
    private const int EngineMaxConcurrentRuns = 16;
    private const int EngineMaxConcurrentTasks = 32;
    private readonly List<NeenaServerProcess> _servers = [];
    private readonly JsonObject _json = [];
    private readonly List<string> _markdown = [];
    private readonly Stopwatch _total = Stopwatch.StartNew();
    private PostgresHost? _postgres;
    private NpgsqlDataSource? _db;
    private string _connectionString = "";
    private string _apiKey = "";
    private Guid _organization;

    private static readonly Dictionary<string, string> EngineSettings = new()
    {
        ["Engine__PollIntervalSeconds"] = "2",
        ["Engine__LeaseSeconds"] = "30",
        ["Engine__MaxConcurrentRuns"] = EngineMaxConcurrentRuns.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Engine__MaxConcurrentTasks"] = EngineMaxConcurrentTasks.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Engine__MaxConcurrentTasksPerRun"] = "4",
        ["Engine__TaskTimeoutSeconds"] = "60",
        // The notifications section's receiver listens in this process, on loopback, which the address guard refuses by default.
        ["Integrations__Http__AllowedNetworks__0"] = "127.0.0.1/32",
    };

    private NpgsqlDataSource Db => _db!;

    /// <summary>What servers A and B run with: the engine settings and any <c>--server-env</c>.</summary>
    private Dictionary<string, string> ServerSettings =>
        EngineSettings.Concat(options.ServerEnvironment).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);

    public async Task<int> RunAsync()
    {
        try
        {
            await SetUpAsync();
            var machine = await MachineAsync();
            _json["machine"] = machine;
            Log($"machine: {machine.ToJsonString()}");

            using var api = new NeenaClient(_servers.Count > 0 ? _servers[0].BaseUrl : options.Url!, _apiKey);
            var seed = await SeedAsync(api);
            if (options.Runs("reads"))
                await ReadsAsync(api, seed);
            if (options.Runs("allocation"))
                await AllocationAsync(api, seed);
            if (options.Runs("writes"))
                await WritesAsync(api, seed);
            if (options.Runs("latency"))
                await ApproveLatencyAsync(api, seed);
            if (options.Runs("engine"))
                await EngineAsync(api, seed);
            if (options.Runs("foreach"))
                await ForEachAsync(api);
            if (options.Runs("schedules"))
                await SchedulesAsync();
            if (options.Runs("notifications"))
                await NotificationsAsync();
            // Before the large run: its stress has bounds of its own, and the peak is a high-water mark.
            SampleMemory();
            if (options.Runs("largerun"))
                await LargeRunMemoryAsync(api);
            if (options.Runs("generation"))
                await GenerationAsync();
            // Last: its 100,000 runs would change what the other sections measure.
            if (options.Runs("analytics"))
                await AnalyticsAsync(api, seed);
            WriteReport(machine);
            return 0;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"benchmark failed: {e}");
            foreach (var server in _servers)
                Console.Error.WriteLine($"--- last output of {server.InstanceId} ---\n{server.RecentOutput}");
            return 1;
        }
        finally
        {
            foreach (var server in _servers)
                await server.DisposeAsync();
            if (_db is not null)
                await _db.DisposeAsync();
            if (_postgres is not null)
                await _postgres.DisposeAsync();
        }
    }

    /// <summary>Server B (a second instance on the same database), started by the first section that needs it; null with --url.</summary>
    private async Task<NeenaServerProcess?> ServerBAsync()
    {
        if (options.Url is not null)
            return null;
        if (_servers.Count < 2)
        {
            Log("starting server B (second engine instance, same database)");
            _servers.Add(await NeenaServerProcess.StartAsync(_connectionString, "bench-b", ServerSettings));
        }
        return _servers[1];
    }

    private static void Log(string message) =>
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
