using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Neena.Bench;
using Neena.Harness;
using Npgsql;

// Neena benchmark: API reads and writes next to raw-PostgreSQL ceilings, and engine throughput with one and two servers.
// Usage: dotnet run -c Release --project bench/Neena.Bench -- [--url URL --database CONNSTR] [--quick]

var options = BenchOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("""
        Usage: dotnet run -c Release --project bench/Neena.Bench -- [--url URL --database CONNSTR] [--database CONNSTR] [--quick] [--output FILE]
          (no options)      start a throwaway PostgreSQL (or use NEENA_TEST_POSTGRES) and Neena servers, then measure
          --database C      use this (empty or Neena) database instead of a throwaway one
          --url U           measure an already running server (needs --database: its database, for ceilings and checks)
          --quick           a 1–2 minute smoke run with shorter cells and fewer runs
          --output F        where the JSON goes (default bench/results/latest.json)
          --sections LIST   only these, comma-separated: reads, allocation, writes, latency, engine, largerun, generation, analytics (default: all)
          --server-env K=V  an environment variable for servers A and B (repeatable), e.g. DOTNET_GCHeapCount=2 to compare GC settings
        """);
    return 2;
}

try
{
    return await new Benchmark(options).RunAsync();
}
finally
{
    ChildProcesses.KillAll();
}

internal sealed record BenchOptions(Uri? Url, string? Database, bool Quick, string? Output, IReadOnlySet<string> Sections, IReadOnlyDictionary<string, string> ServerEnvironment)
{
    public static readonly string[] AllSections = ["reads", "allocation", "writes", "latency", "engine", "largerun", "generation", "analytics"];

    public bool Runs(string section) => Sections.Contains(section);

    public TimeSpan CellDuration => Quick ? TimeSpan.FromSeconds(1.5) : TimeSpan.FromSeconds(8);
    public TimeSpan WarmUp => Quick ? TimeSpan.FromSeconds(0.3) : TimeSpan.FromSeconds(1);
    public int ApprovePool => Quick ? 300 : 3000;
    public int EngineRuns => Quick ? 200 : 1000;
    public int[] ReadConcurrencies => [1, 16, 64];
    public const int WriteConcurrency = 16;
    public const int ApproveAllConcurrency = 32;

    public static BenchOptions? Parse(string[] args)
    {
        Uri? url = null;
        string? database = null;
        string? output = null;
        var quick = false;
        var sections = new HashSet<string>(AllSections, StringComparer.Ordinal);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--sections" when i + 1 < args.Length:
                    sections = [.. args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                    if (sections.Except(AllSections).Any())
                        return null;
                    break;
                case "--server-env" when i + 1 < args.Length && args[i + 1].Contains('=', StringComparison.Ordinal):
                    var pair = args[++i].Split('=', 2);
                    environment[pair[0]] = pair[1];
                    break;
                case "--url" when i + 1 < args.Length:
                    url = new Uri(args[++i].TrimEnd('/') + "/");
                    break;
                case "--database" when i + 1 < args.Length:
                    database = args[++i];
                    break;
                case "--output" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                default:
                    return null;
            }
        }
        if (url is not null && database is null)
            return null;
        if (url is not null && !(url.IsLoopback))
        {
            Console.Error.WriteLine("--url must be a loopback address (the benchmark only targets 127.0.0.1).");
            return null;
        }
        return new BenchOptions(url, database, quick, output, sections, environment);
    }
}

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

    private static void Log(string message) =>
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    // ---------------------------------------------------------------- set-up

    private async Task SetUpAsync()
    {
        if (options.Database is { } given)
        {
            _connectionString = given;
        }
        else
        {
            _postgres = Environment.GetEnvironmentVariable("NEENA_TEST_POSTGRES") is { Length: > 0 } admin
                ? PostgresHost.FromConnectionString(admin)
                : await PostgresHost.StartLocalAsync("bench");
            _connectionString = await _postgres.CreateDatabaseAsync($"neena_bench_{Environment.ProcessId}");
            Log($"PostgreSQL: {_postgres.Description}");
        }

        Log("creating the API key through the CLI (migrates the database)");
        _apiKey = await NeenaServerProcess.CreateApiKeyAsync(_connectionString, "bench@example.com");

        if (options.Url is null)
        {
            Log("starting server A");
            _servers.Add(await NeenaServerProcess.StartAsync(_connectionString, "bench-a", ServerSettings));
        }

        var builder = new NpgsqlDataSourceBuilder(new NpgsqlConnectionStringBuilder(_connectionString) { MaxPoolSize = 200 }.ConnectionString);
        _db = builder.Build();
        await using var cmd = Db.CreateCommand("SELECT organization_id FROM users WHERE lower(email) = $1");
        cmd.Parameters.AddWithValue("bench@example.com");
        var id = (Guid)(await cmd.ExecuteScalarAsync() ?? throw new InvalidOperationException("The bench user was not created."));
        _organization = id;
    }

    private async Task<JsonObject> MachineAsync()
    {
        string? cpu = null;
        long memoryMb = 0;
        if (File.Exists("/proc/cpuinfo"))
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        if (File.Exists("/proc/meminfo"))
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (line is not null)
                memoryMb = long.Parse(line["MemTotal:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024;
        }
        await using var version = Db.CreateCommand("SHOW server_version");
        return new JsonObject
        {
            ["cores"] = Environment.ProcessorCount,
            ["cpu"] = cpu,
            ["memory_mb"] = memoryMb,
            ["os"] = RuntimeInformation.OSDescription,
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["postgresql"] = (string?)await version.ExecuteScalarAsync(),
            ["postgresql_host"] = _postgres?.Description ?? "given database",
            ["quick"] = options.Quick,
            ["server_env"] = string.Join(' ', options.ServerEnvironment.Select(p => $"{p.Key}={p.Value}")),
            ["started_utc"] = DateTime.UtcNow.ToString("O"),
        };
    }

    // ---------------------------------------------------------------- seed

    private sealed record Seed(Guid EchoFlow5, Guid EchoFlow1, Guid FlowRequest, Guid ReadRun);

    private async Task<Seed> SeedAsync(NeenaClient api)
    {
        Log("seeding: flows, 100 completed runs of a 5-task flow");
        var echo = await api.TaskDefinitionIdAsync("Echo");
        var ops = Enumerable.Range(0, 5)
            .Select(i => new FlowOperation(i, $"echo {i}", echo, new JsonObject { ["message"] = $"bench {i}" }))
            .ToList();
        var flow5 = await api.CreateFlowAsync("bench echo x5", ops, NeenaClient.Chain(5));
        var flow1 = await api.CreateFlowAsync("bench echo x1", [ops[0]], []);
        var request = await api.CreateFlowRequestAsync("benchmark flow request");

        var runs = await NeenaClient.ForEachAsync(Enumerable.Range(0, 100).ToList(), 16,
            (_, _) => api.CreateRunAsync(flow5, request, approved: true));
        await WaitFinalAsync(runs, TimeSpan.FromMinutes(3));
        var readRun = runs[^1];
        var taskRuns = (await api.GetRunAsync(readRun))["task_runs"]!.AsArray().Count;
        if (taskRuns != 5)
            throw new InvalidOperationException($"The read target run has {taskRuns} task runs, expected 5.");
        return new Seed(flow5, flow1, request, readRun);
    }

    /// <summary>Polls the database until every run is final; returns false on timeout.</summary>
    private async Task<bool> WaitFinalAsync(Guid[] runs, TimeSpan timeout, int pollMilliseconds = 100)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            await using var cmd = Db.CreateCommand(
                "SELECT count(*) FROM flow_runs WHERE id = ANY($1) AND status IN ('completed','failed','cancelled')");
            cmd.Parameters.AddWithValue(runs);
            if ((long)(await cmd.ExecuteScalarAsync())! >= runs.Length)
                return true;
            await Task.Delay(pollMilliseconds);
        }
        return false;
    }

    private async Task WaitEngineIdleAsync()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            await using var cmd = Db.CreateCommand("SELECT count(*) FROM flow_runs WHERE status = 'in_progress'");
            if ((long)(await cmd.ExecuteScalarAsync())! == 0)
                return;
            await Task.Delay(200);
        }
        Log("warning: the engine still had runs in progress after 3 minutes");
    }

    // ---------------------------------------------------------------- reads

    private const string RunColumns =
        "id, organization_id, flow_id, flow_request_id, status, approval_status, triggered_time, start_time, end_time, triggered_by, created_date, modified_date";
    private const string TaskColumns =
        "id, flow_run_id, task_operation_index, status, start_time, end_time, task_prep_prompt, task_prep_answer, result, error, attempt, operation_name";

    private async Task ReadsAsync(NeenaClient api, Seed seed)
    {
        var http = api.Http;
        var getRun = $"api/v1/flow_runs/?id={seed.ReadRun}";
        const string list = "api/v1/flow_runs/all?limit=100";

        async Task<bool> ApiGet(string path, CancellationToken ct)
        {
            using var response = await http.GetAsync(path, HttpCompletionOption.ResponseContentRead, ct);
            _ = await response.Content.ReadAsByteArrayAsync(ct);
            return response.StatusCode == HttpStatusCode.OK;
        }

        async Task<bool> SqlRun(CancellationToken ct)
        {
            await using var connection = await Db.OpenConnectionAsync(ct);
            await using (var run = new NpgsqlCommand($"SELECT {RunColumns} FROM flow_runs WHERE id = $1 AND organization_id = $2", connection))
            {
                run.Parameters.AddWithValue(seed.ReadRun);
                run.Parameters.AddWithValue(_organization);
                if (await ReadAllAsync(run, ct) != 1)
                    return false;
            }
            await using var tasks = new NpgsqlCommand(
                $"SELECT {TaskColumns} FROM task_runs WHERE flow_run_id = $1 AND organization_id = $2 ORDER BY task_operation_index", connection);
            tasks.Parameters.AddWithValue(seed.ReadRun);
            tasks.Parameters.AddWithValue(_organization);
            return await ReadAllAsync(tasks, ct) == 5;
        }

        async Task<bool> SqlList(CancellationToken ct)
        {
            await using var connection = await Db.OpenConnectionAsync(ct);
            var ids = new List<Guid>(100);
            await using (var runs = new NpgsqlCommand(
                $"SELECT {RunColumns} FROM flow_runs WHERE organization_id = $1 ORDER BY created_date DESC, id LIMIT 100", connection))
            {
                runs.Parameters.AddWithValue(_organization);
                await using var reader = await runs.ExecuteReaderAsync(ct);
                var values = new object[reader.FieldCount];
                while (await reader.ReadAsync(ct))
                {
                    reader.GetValues(values);
                    ids.Add(reader.GetGuid(0));
                }
            }
            await using var tasks = new NpgsqlCommand(
                $"SELECT {TaskColumns} FROM task_runs WHERE flow_run_id = ANY($1) ORDER BY flow_run_id, task_operation_index", connection);
            tasks.Parameters.AddWithValue(ids.ToArray());
            await ReadAllAsync(tasks, ct);
            return ids.Count == 100;
        }

        var readsJson = new JsonArray();
        _markdown.Add("## API reads vs raw PostgreSQL ceiling\n");
        _markdown.Add("| endpoint | clients | API req/s | API p50 ms | API p99 ms | ceiling req/s | ceiling p50 ms | ceiling p99 ms | API ÷ ceiling |");
        _markdown.Add("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, apiOp, sqlOp) in new (string, Func<long, CancellationToken, Task<bool>>, Func<long, CancellationToken, Task<bool>>)[]
                 {
                     ("GET /api/v1/flow_runs/?id= (5 task runs)", (_, ct) => ApiGet(getRun, ct), (_, ct) => SqlRun(ct)),
                     ("GET /api/v1/flow_runs/all?limit=100", (_, ct) => ApiGet(list, ct), (_, ct) => SqlList(ct)),
                 })
        {
            foreach (var concurrency in options.ReadConcurrencies)
            {
                Log($"reads: {name} at {concurrency} clients");
                var apiCell = await LoadRunner.RunAsync(concurrency, options.WarmUp, options.CellDuration, 5_000_000, apiOp);
                var sqlCell = await LoadRunner.RunAsync(concurrency, options.WarmUp, options.CellDuration, 5_000_000, sqlOp);
                var ratio = sqlCell.PerSecond > 0 ? apiCell.PerSecond / sqlCell.PerSecond : 0;
                _markdown.Add(NeenaClient.Invariant(
                    $"| `{name}` | {concurrency} | {apiCell.PerSecond:F0} | {apiCell.P50Ms:F2} | {apiCell.P99Ms:F2} | {sqlCell.PerSecond:F0} | {sqlCell.P50Ms:F2} | {sqlCell.P99Ms:F2} | {ratio:F2}{ErrorNote(apiCell, sqlCell)} |"));
                readsJson.Add(new JsonObject
                {
                    ["endpoint"] = name,
                    ["concurrency"] = concurrency,
                    ["api"] = Cell(apiCell),
                    ["ceiling"] = Cell(sqlCell),
                    ["api_over_ceiling"] = Math.Round(ratio, 3),
                });
            }
        }
        _json["reads"] = readsJson;
    }

    private static async Task<int> ReadAllAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var values = new object[reader.FieldCount];
        var rows = 0;
        while (await reader.ReadAsync(ct))
        {
            reader.GetValues(values);
            rows++;
        }
        return rows;
    }

    private static string ErrorNote(params CellResult[] cells)
    {
        var errors = cells.Sum(c => c.Errors);
        return errors == 0 ? "" : $" ({errors} errors: {cells.Select(c => c.FirstError).FirstOrDefault(e => e is not null)})";
    }

    private static JsonObject Cell(CellResult c) => new()
    {
        ["operations"] = c.Operations,
        ["errors"] = c.Errors,
        ["seconds"] = c.Seconds,
        ["per_second"] = c.PerSecond,
        ["p50_ms"] = c.P50Ms,
        ["p99_ms"] = c.P99Ms,
        ["first_error"] = c.FirstError,
    };

    // ---------------------------------------------------------------- writes

    private async Task WritesAsync(NeenaClient api, Seed seed)
    {
        var http = api.Http;
        var writes = new JsonArray();
        _markdown.Add("\n## API writes\n");
        _markdown.Add("| operation | clients | req/s | p50 ms | p99 ms | errors |");
        _markdown.Add("|---|---:|---:|---:|---:|---:|");

        void Row(string name, CellResult c)
        {
            _markdown.Add(NeenaClient.Invariant($"| `{name}` | {c.Concurrency} | {c.PerSecond:F0} | {c.P50Ms:F2} | {c.P99Ms:F2} | {c.Errors}{(c.FirstError is null ? "" : " — " + c.FirstError)} |"));
            var node = Cell(c);
            node["operation"] = name;
            node["concurrency"] = c.Concurrency;
            writes.Add(node);
        }

        Log("writes: POST /flow_requests/");
        var requests = await LoadRunner.RunAsync(BenchOptions.WriteConcurrency, options.WarmUp, options.CellDuration, 1_000_000, async (i, ct) =>
        {
            using var response = await http.PostAsync("api/v1/flow_requests/",
                NeenaClient.Json(NeenaClient.FlowRequestBody($"benchmark write number {i}")), ct);
            return response.StatusCode == HttpStatusCode.OK;
        });
        Row("POST /api/v1/flow_requests/", requests);

        Log($"writes: POST /flow_runs/ (creating {options.ApprovePool} pending runs of a 1-task flow)");
        var pool = new Guid[options.ApprovePool];
        var creates = await LoadRunner.RunAsync(BenchOptions.WriteConcurrency, TimeSpan.Zero, TimeSpan.FromMinutes(5), options.ApprovePool, async (i, ct) =>
        {
            using var response = await http.PostAsync("api/v1/flow_runs/", NeenaClient.Json(NeenaClient.RunBody(seed.EchoFlow1, seed.FlowRequest, false)), ct);
            if (response.StatusCode != HttpStatusCode.OK)
                return false;
            pool[i] = NeenaClient.IdOf(JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!);
            return true;
        });
        Row("POST /api/v1/flow_runs/ (pending)", creates);

        Log("writes: PUT /flow_runs/approve (engine running)");
        var pending = pool.Where(id => id != Guid.Empty).ToArray();
        var approves = await LoadRunner.RunAsync(BenchOptions.WriteConcurrency, TimeSpan.Zero, options.CellDuration, pending.Length, async (i, ct) =>
        {
            using var response = await http.PutAsync(NeenaClient.ApprovePath(pending[i]), null, ct);
            return response.StatusCode == HttpStatusCode.OK;
        });
        Row("PUT /api/v1/flow_runs/approve", approves);
        _json["writes"] = writes;
        await WaitEngineIdleAsync();
    }

    // ---------------------------------------------------------------- engine

    private async Task EngineAsync(NeenaClient api, Seed seed)
    {
        var engine = new JsonArray();
        _markdown.Add("\n## Engine: runs of a 5-task Echo chain, approved together\n\nruns/s and tasks/s: first approval sent → last run ended (the approvals are part of that time).\n");
        _markdown.Add(NeenaClient.Invariant(
            $"Each server: Engine:MaxConcurrentRuns={EngineMaxConcurrentRuns}, MaxConcurrentTasks={EngineMaxConcurrentTasks}. Ceiling: per task 2 UPDATEs, per run 1 UPDATE + 1 INSERT in a transaction, raw Npgsql at the same run concurrency.\n"));
        _markdown.Add("Per run, over the round (approvals included): CPU time of the server(s) and of PostgreSQL (/proc), and the database's transactions (pg_stat_database; a batch or an autocommit statement is one).\n");
        _markdown.Add("| setup | runs | approvals/s | runs/s | tasks/s | approve→first task p50 ms | p99 ms | failed runs | ceiling runs/s | ceiling tasks/s | engine ÷ ceiling | server CPU ms/run | PostgreSQL CPU ms/run | transactions/run |");
        _markdown.Add("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");

        var oneServer = await EngineRoundAsync("one server", [api], seed);
        await CeilingAsync(oneServer, EngineMaxConcurrentRuns);
        engine.Add(oneServer.Json);
        _markdown.Add(oneServer.Row());

        if (options.Url is null)
        {
            Log("starting server B (second engine instance, same database)");
            _servers.Add(await NeenaServerProcess.StartAsync(_connectionString, "bench-b", ServerSettings));
            using var apiB = new NeenaClient(_servers[1].BaseUrl, _apiKey);
            var twoServers = await EngineRoundAsync("two servers", [api, apiB], seed);
            await CeilingAsync(twoServers, 2 * EngineMaxConcurrentRuns);
            engine.Add(twoServers.Json);
            _markdown.Add(twoServers.Row());
        }
        else
        {
            _markdown.Add("| two servers | — | skipped: --url given | | | | | | | | | | | |");
        }
        _json["engine"] = engine;
    }

    private sealed class EngineRound
    {
        public required string Setup { get; init; }
        public required Guid[] Runs { get; init; }
        public required JsonObject Json { get; init; }
        public double ApprovalsPerSecond { get; set; }
        public double RunsPerSecond { get; set; }
        public double TasksPerSecond { get; set; }
        public double P50 { get; set; }
        public double P99 { get; set; }
        public long Failed { get; set; }
        public double CeilingRuns { get; set; }
        public double CeilingTasks { get; set; }
        public double ServerCpuMsPerRun { get; set; }
        public double PostgresCpuMsPerRun { get; set; }
        public double TransactionsPerRun { get; set; }

        public string Row() => NeenaClient.Invariant(
            $"| {Setup} | {Runs.Length} | {ApprovalsPerSecond:F0} | {RunsPerSecond:F1} | {TasksPerSecond:F0} | {P50:F0} | {P99:F0} | {Failed} | {CeilingRuns:F1} | {CeilingTasks:F0} | {(CeilingRuns > 0 ? RunsPerSecond / CeilingRuns : 0):F2} | {ServerCpuMsPerRun:F1} | {PostgresCpuMsPerRun:F1} | {TransactionsPerRun:F1} |");
    }

    private async Task<EngineRound> EngineRoundAsync(string setup, IReadOnlyList<NeenaClient> apis, Seed seed)
    {
        await WaitEngineIdleAsync();
        var count = options.EngineRuns;
        Log($"engine ({setup}): creating {count} pending runs");
        var runs = await NeenaClient.ForEachAsync(Enumerable.Range(0, count).ToList(), BenchOptions.WriteConcurrency,
            (_, i) => apis[i % apis.Count].CreateRunAsync(seed.EchoFlow5, seed.FlowRequest));

        Log($"engine ({setup}): approving {count} runs with {BenchOptions.ApproveAllConcurrency} clients");
        var approvedAt = new DateTime[count];
        _postgresPid ??= await FindPostgresPidAsync();
        var costBefore = await SampleCostAsync();
        var clock = Stopwatch.StartNew();
        var firstApprove = DateTime.UtcNow;
        var statuses = await NeenaClient.ForEachAsync(runs, BenchOptions.ApproveAllConcurrency, async (run, i) =>
        {
            approvedAt[i] = DateTime.UtcNow;
            using var response = await apis[i % apis.Count].ApproveAsync(run);
            return response.StatusCode;
        });
        var approveSeconds = clock.Elapsed.TotalSeconds;
        if (statuses.Any(s => s != HttpStatusCode.OK))
            throw new InvalidOperationException($"{statuses.Count(s => s != HttpStatusCode.OK)} approvals failed: {statuses.First(s => s != HttpStatusCode.OK)}");

        var finished = await WaitFinalAsync(runs, TimeSpan.FromMinutes(options.Quick ? 3 : 8));
        var costAfter = await SampleCostAsync();
        if (!finished)
            Log($"warning: not every run finished in time ({setup})");

        var index = runs.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        var latencies = new List<double>(count);
        long failed = 0, tasksCompleted = 0;
        var lastEnd = firstApprove;
        await using (var cmd = Db.CreateCommand("""
            SELECT r.id, r.status, r.end_time, min(t.start_time), count(*) FILTER (WHERE t.status = 'completed')
            FROM flow_runs r LEFT JOIN task_runs t ON t.flow_run_id = r.id
            WHERE r.id = ANY($1)
            GROUP BY r.id, r.status, r.end_time
            """))
        {
            cmd.Parameters.AddWithValue(runs);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var id = reader.GetGuid(0);
                if (reader.GetString(1) != "completed")
                    failed++;
                if (!reader.IsDBNull(2) && reader.GetDateTime(2) > lastEnd)
                    lastEnd = reader.GetDateTime(2);
                if (!reader.IsDBNull(3))
                    latencies.Add(Math.Max(0, (reader.GetDateTime(3) - approvedAt[index[id]]).TotalMilliseconds));
                tasksCompleted += reader.GetInt64(4);
            }
        }
        var seconds = Math.Max(0.001, (lastEnd - firstApprove).TotalSeconds);
        var sorted = latencies.ToArray();
        Array.Sort(sorted);
        var round = new EngineRound
        {
            Setup = setup,
            Runs = runs,
            ApprovalsPerSecond = count / approveSeconds,
            RunsPerSecond = Math.Round((count - failed) / seconds, 2),
            TasksPerSecond = Math.Round(tasksCompleted / seconds, 1),
            P50 = LoadRunner.Percentile(sorted, 0.5),
            P99 = LoadRunner.Percentile(sorted, 0.99),
            Failed = failed,
            Json = new JsonObject
            {
                ["setup"] = setup,
                ["servers"] = apis.Count,
                ["runs"] = count,
                ["tasks_per_run"] = 5,
                ["all_finished"] = finished,
                ["failed_or_cancelled_runs"] = failed,
                ["tasks_completed"] = tasksCompleted,
                ["approve_seconds"] = Math.Round(approveSeconds, 2),
                ["approve_per_second"] = Math.Round(count / approveSeconds, 1),
                ["seconds_first_approve_to_last_run_end"] = Math.Round(seconds, 2),
            },
        };
        round.Json["runs_per_second"] = round.RunsPerSecond;
        round.Json["tasks_per_second"] = round.TasksPerSecond;
        round.Json["approve_to_first_task_start_p50_ms"] = Math.Round(round.P50, 1);
        round.Json["approve_to_first_task_start_p99_ms"] = Math.Round(round.P99, 1);
        AddCost(round.Json, costBefore, costAfter, count, out var serverMs, out var postgresMs, out var transactions);
        (round.ServerCpuMsPerRun, round.PostgresCpuMsPerRun, round.TransactionsPerRun) = (serverMs, postgresMs, transactions);
        Log($"engine ({setup}): {round.RunsPerSecond} runs/s, {round.TasksPerSecond} tasks/s, first task p50 {round.P50:F0} ms");
        return round;
    }

    /// <summary>The same state changes the engine makes for these runs, as raw statements at the same run concurrency.</summary>
    private async Task CeilingAsync(EngineRound round, int concurrency)
    {
        Log($"engine ceiling ({round.Setup}): raw transactions at {concurrency} runs at once");
        var tasksByRun = new Dictionary<Guid, List<Guid>>();
        await using (var cmd = Db.CreateCommand("SELECT flow_run_id, id FROM task_runs WHERE flow_run_id = ANY($1) ORDER BY flow_run_id, task_operation_index"))
        {
            cmd.Parameters.AddWithValue(round.Runs);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var run = reader.GetGuid(0);
                if (!tasksByRun.TryGetValue(run, out var list))
                    tasksByRun[run] = list = [];
                list.Add(reader.GetGuid(1));
            }
        }
        await using (var cmd = Db.CreateCommand("DELETE FROM flow_results WHERE flow_run_id = ANY($1)"))
        {
            cmd.Parameters.AddWithValue(round.Runs);
            await cmd.ExecuteNonQueryAsync();
        }

        const string result = """{"message": "bench", "data": null}""";
        var runs = tasksByRun.Keys.ToList();
        var clock = Stopwatch.StartNew();
        await NeenaClient.ForEachAsync(runs, concurrency, async (run, _) =>
        {
            foreach (var task in tasksByRun[run])
            {
                await using (var start = Db.CreateCommand(
                    "UPDATE task_runs SET status = 'in_progress', start_time = now(), end_time = NULL, attempt = attempt + 1, modified_date = now() WHERE id = $1 AND flow_run_id = $2"))
                {
                    start.Parameters.AddWithValue(task);
                    start.Parameters.AddWithValue(run);
                    await start.ExecuteNonQueryAsync();
                }
                await using var complete = Db.CreateCommand(
                    "UPDATE task_runs SET status = 'completed', result = $3::jsonb, end_time = now(), modified_date = now() WHERE id = $1 AND flow_run_id = $2");
                complete.Parameters.AddWithValue(task);
                complete.Parameters.AddWithValue(run);
                complete.Parameters.AddWithValue(result);
                await complete.ExecuteNonQueryAsync();
            }
            await using var connection = await Db.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var finish = new NpgsqlCommand(
                "UPDATE flow_runs SET status = 'completed', end_time = now(), lease_owner = NULL, lease_expires_at = NULL, modified_date = now() WHERE id = $1", connection, transaction))
            {
                finish.Parameters.AddWithValue(run);
                await finish.ExecuteNonQueryAsync();
            }
            await using (var insert = new NpgsqlCommand(
                "INSERT INTO flow_results (id, organization_id, flow_run_id, body, created_date, modified_date) VALUES ($1, $2, $3, $4, now(), now())", connection, transaction))
            {
                insert.Parameters.AddWithValue(Guid.CreateVersion7());
                insert.Parameters.AddWithValue(_organization);
                insert.Parameters.AddWithValue(run);
                insert.Parameters.AddWithValue("completed");
                await insert.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
            return true;
        });
        var seconds = Math.Max(0.001, clock.Elapsed.TotalSeconds);
        round.CeilingRuns = Math.Round(runs.Count / seconds, 1);
        round.CeilingTasks = Math.Round(tasksByRun.Values.Sum(t => t.Count) / seconds, 1);
        round.Json["ceiling"] = new JsonObject
        {
            ["concurrency"] = concurrency,
            ["seconds"] = Math.Round(seconds, 2),
            ["runs_per_second"] = round.CeilingRuns,
            ["tasks_per_second"] = round.CeilingTasks,
        };
        round.Json["engine_over_ceiling"] = round.CeilingRuns > 0 ? Math.Round(round.RunsPerSecond / round.CeilingRuns, 3) : 0;
    }

    // ---------------------------------------------------------------- generation

    // Requests the built-in tasks can serve, so every answer is a planned flow (200), not "nothing fits".
    private static readonly string[] GenerationRequests =
    [
        "Send a greeting composed from the request's name",
        "Pause for ten seconds before continuing",
        "Fetch the JSON document at https://example.com/status and echo what it says",
        "Compose a short thank-you note for the customer and echo it back",
        "Wait two minutes, then echo that the reminder is due",
    ];

    /// <summary>
    /// Flow generation without a language model (the deterministic planner: embed the request, rank the catalogue, wire by
    /// data flow). It runs on a server of its own with the engine off, so the embedding model (~100 MB) it loads on first
    /// use shows in that server's memory, not in the figures of the servers above.
    /// </summary>
    private async Task GenerationAsync()
    {
        var json = new JsonObject();
        _json["generation"] = json;
        _markdown.Add("\n## Flow generation without a model\n");
        if (options.Url is not null)
        {
            _markdown.Add("skipped: --url given (the cold figures need a fresh server).");
            return;
        }

        // Vectors stored by an earlier server would hide the catalogue embedding this section measures.
        await using (var clear = Db.CreateCommand("DELETE FROM task_definition_embeddings"))
            await clear.ExecuteNonQueryAsync();

        Log("generation: starting server G (engine off, planner without a model)");
        var settings = new Dictionary<string, string>(EngineSettings) { ["Engine__Enabled"] = "false", ["LanguageModel__Provider"] = "none" };
        await using var server = await NeenaServerProcess.StartAsync(_connectionString, "bench-gen", settings);
        using var api = new NeenaClient(server.BaseUrl, _apiKey, timeout: TimeSpan.FromMinutes(3));
        var rssBeforeKb = server.SamplePeakRssKb();

        static string PathOf(string request) => "api/v1/flows/generate?request=" + Uri.EscapeDataString(request);

        Log("generation: the first request (loads the model, embeds the catalogue)");
        var cold = Stopwatch.StartNew();
        using (var first = await api.Http.GetAsync(PathOf(GenerationRequests[0])))
        {
            if (first.StatusCode != HttpStatusCode.OK)
                throw new InvalidOperationException($"The first generation answered {(int)first.StatusCode}: {await first.Content.ReadAsStringAsync()}");
        }
        var coldMs = cold.Elapsed.TotalMilliseconds;

        // The server logs what the catalogue embedding took; the line is the measurement, the first request only its cause.
        await Task.Delay(500);
        var embedded = System.Text.RegularExpressions.Regex.Match(server.RecentOutput, @"Embedded (\d+) task definitions in (\d+) ms");
        var loaded = System.Text.RegularExpressions.Regex.Match(server.RecentOutput, @"Loaded the sentence embedding model .* in (\d+) ms");
        var loadMs = loaded.Success ? double.Parse(loaded.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : double.NaN;
        var definitions = embedded.Success ? int.Parse(embedded.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var embedMs = embedded.Success ? double.Parse(embedded.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : double.NaN;

        _markdown.Add("| measure | value |");
        _markdown.Add("|---|---:|");
        _markdown.Add(NeenaClient.Invariant($"| first request (model load + catalogue embedding + plan) ms | {coldMs:F0} |"));
        _markdown.Add(loaded.Success
            ? NeenaClient.Invariant($"| embedding model load (once per process, on first use) ms | {loadMs:F0} |")
            : "| embedding model load | not found in the server's log |");
        _markdown.Add(embedded.Success && loaded.Success
            ? NeenaClient.Invariant($"| catalogue embedding: {definitions} task definitions (model load excluded), ms | {embedMs - loadMs:F0} |")
            : "| catalogue embedding | not found in the server's log |");
        json["first_request_ms"] = Math.Round(coldMs, 1);
        json["catalogue_definitions"] = definitions;
        json["model_load_ms"] = loaded.Success ? loadMs : null;
        json["catalogue_embedding_ms"] = embedded.Success && loaded.Success ? embedMs - loadMs : null;

        var warm = new JsonArray();
        foreach (var concurrency in new[] { 1, 4 })
        {
            Log($"generation: warm requests at {concurrency} clients");
            var cell = await LoadRunner.RunAsync(concurrency, options.WarmUp, options.CellDuration, 100_000, async (i, ct) =>
            {
                using var response = await api.Http.GetAsync(PathOf(GenerationRequests[i % GenerationRequests.Length]), ct);
                _ = await response.Content.ReadAsByteArrayAsync(ct);
                return response.StatusCode == HttpStatusCode.OK;
            });
            _markdown.Add(NeenaClient.Invariant(
                $"| `GET /api/v1/flows/generate?request=…`, {concurrency} client(s): req/s · p50 ms · p99 ms | {cell.PerSecond:F1} · {cell.P50Ms:F1} · {cell.P99Ms:F1}{ErrorNote(cell)} |"));
            var node = Cell(cell);
            node["concurrency"] = concurrency;
            warm.Add(node);
        }
        json["warm"] = warm;

        var rssAfterKb = server.SamplePeakRssKb();
        _markdown.Add(NeenaClient.Invariant($"| server G peak RSS before / after generating, MiB | {rssBeforeKb / 1024.0:F0} / {rssAfterKb / 1024.0:F0} |"));
        json["peak_rss_before_mb"] = Math.Round(rssBeforeKb / 1024.0, 1);
        json["peak_rss_after_mb"] = Math.Round(rssAfterKb / 1024.0, 1);
    }

    // ---------------------------------------------------------------- report

    private void SampleMemory()
    {
        var memory = new JsonArray();
        _markdown.Add("\n## Server memory\n");
        _markdown.Add("| server | peak RSS (VmHWM) MiB |");
        _markdown.Add("|---|---:|");
        foreach (var server in _servers)
        {
            var kb = server.SamplePeakRssKb();
            memory.Add(new JsonObject { ["server"] = server.InstanceId, ["peak_rss_mb"] = Math.Round(kb / 1024.0, 1) });
            _markdown.Add(NeenaClient.Invariant($"| {server.InstanceId} | {kb / 1024.0:F0} |"));
        }
        if (_servers.Count == 0)
            _markdown.Add("| (external server) | not measured |");
        _json["memory"] = memory;
    }

    private void WriteReport(JsonObject machine)
    {
        _json["total_seconds"] = Math.Round(_total.Elapsed.TotalSeconds, 1);
        var header = NeenaClient.Invariant(
            $"# Neena benchmark{(options.Quick ? " (quick)" : "")}\n\nMachine: {machine["cores"]} cores ({machine["cpu"]}), {machine["memory_mb"]} MiB, {machine["os"]}, {machine["dotnet"]}, PostgreSQL {machine["postgresql"]}. Total {_total.Elapsed.TotalSeconds:F0} s.\n");
        Console.WriteLine(header);
        foreach (var line in _markdown)
            Console.WriteLine(line);

        var output = options.Output ?? Path.Combine(RepositoryRoot(), "bench", "results", "latest.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        File.WriteAllText(output, _json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"\nJSON: {Path.GetFullPath(output)}");
    }

    private static string RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Neena.sln")))
                    return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
