using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Neena.Bench;
using Neena.Harness;

/// <summary>Engine throughput: runs of a 5-task Echo chain approved together, with one and with two servers.</summary>
internal sealed partial class Benchmark
{
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

        if (await ServerBAsync() is { } serverB)
        {
            using var apiB = new NeenaClient(serverB.BaseUrl, _apiKey);
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
        var costBefore = await SampleCostAsync(settleFirst: true);
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
        var costAfter = await SampleCostAsync(settleFirst: false);
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
}
