using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Neena.Harness;
using Npgsql;

/// <summary>The database, the API key and server A; the machine's description; the seeded flows and runs every section uses.</summary>
internal sealed partial class Benchmark
{
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
}
