using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Neena.Bench;
using Neena.Harness;

/// <summary>The request path measured per request: bytes allocated by the server, and approve → first task of one run at a time.</summary>
internal sealed partial class Benchmark
{
    /// <summary>
    /// Bytes the server allocates per read, next to the size of its answer, counted by the runtime over EventPipe while
    /// a fixed number of requests run (4 clients); everything the process allocates in that window counts, the idle
    /// engine's polling included. Next to it, the server's CPU time per request (user + system, from /proc): unlike
    /// throughput, it hardly moves when other work shares the machine, so it is the figure to compare changes by.
    /// </summary>
    private async Task AllocationAsync(NeenaClient api, Seed seed)
    {
        _markdown.Add("\n## Allocation per request (server A, 4 clients)\n");
        var json = new JsonArray();
        _json["allocation"] = json;
        if (_servers.Count == 0)
        {
            _markdown.Add("skipped: --url given (the allocation counter needs the server's process).");
            return;
        }
        _markdown.Add("| request | requests | response bytes | allocated per request KiB | allocated ÷ response | server CPU ms per request |");
        _markdown.Add("|---|---:|---:|---:|---:|---:|");
        foreach (var (name, path, count) in new[]
                 {
                     ("GET /api/v1/flow_runs/?id= (5 task runs)", $"api/v1/flow_runs/?id={seed.ReadRun}", options.Quick ? 500 : 2000),
                     ("GET /api/v1/flow_runs/all?limit=100", "api/v1/flow_runs/all?limit=100", options.Quick ? 100 : 400),
                 })
        {
            Log($"allocation: {name}, {count} requests");
            async Task<long> Read(int _, int __)
            {
                using var response = await api.Http.GetAsync(path);
                var body = await response.Content.ReadAsByteArrayAsync();
                if (response.StatusCode != HttpStatusCode.OK)
                    throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}");
                return body.Length;
            }

            await NeenaClient.ForEachAsync(Enumerable.Range(0, 20).ToList(), 4, Read);
            await using var meter = AllocationMeter.Start(_servers[0].ProcessId);
            await Task.Delay(500);
            var cpuBefore = CpuMilliseconds(_servers[0].ProcessId);
            var from = DateTime.UtcNow;
            var sizes = await NeenaClient.ForEachAsync(Enumerable.Range(0, count).ToList(), 4, Read);
            var to = DateTime.UtcNow;
            var cpuPerRequest = (CpuMilliseconds(_servers[0].ProcessId) - cpuBefore) / count;
            await Task.Delay(200);
            var allocated = await meter.StopAndSumAsync(from, to);

            var perRequest = (double)allocated / count;
            var responseBytes = sizes.Average();
            _markdown.Add(NeenaClient.Invariant(
                $"| `{name}` | {count} | {responseBytes:F0} | {perRequest / 1024:F0} | {perRequest / responseBytes:F2} | {cpuPerRequest:F2} |"));
            json.Add(new JsonObject
            {
                ["endpoint"] = name,
                ["requests"] = count,
                ["response_bytes"] = Math.Round(responseBytes),
                ["allocated_bytes_per_request"] = Math.Round(perRequest),
                ["allocated_over_response"] = Math.Round(perRequest / responseBytes, 3),
                ["server_cpu_ms_per_request"] = Math.Round(cpuPerRequest, 3),
            });
        }
    }

    /// <summary>User + system CPU time of a process so far (/proc/PID/stat, in clock ticks of 10 ms); NaN where there is no /proc.</summary>
    private static double CpuMilliseconds(int processId)
    {
        var path = $"/proc/{processId}/stat";
        if (!File.Exists(path))
            return double.NaN;
        var stat = File.ReadAllText(path);
        // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        return ticks * 10.0;
    }

    /// <summary>
    /// Approve → first task <c>in_progress</c> for one run at a time: each approval is sent once the run before it has
    /// ended, so the engine is idle and the figure is the path itself (API approval, notification, claim, start), not queueing.
    /// </summary>
    private async Task ApproveLatencyAsync(NeenaClient api, Seed seed)
    {
        await WaitEngineIdleAsync();
        var count = options.Quick ? 40 : 200;
        Log($"latency: approving {count} runs one at a time");
        var runs = await NeenaClient.ForEachAsync(Enumerable.Range(0, count).ToList(), BenchOptions.WriteConcurrency,
            (_, _) => api.CreateRunAsync(seed.EchoFlow5, seed.FlowRequest));

        var latencies = new List<double>(count);
        var afterAnswer = new List<double>(count);
        var approveMs = new List<double>(count);
        foreach (var run in runs)
        {
            var sent = DateTime.UtcNow;
            var clock = Stopwatch.StartNew();
            using (var response = await api.ApproveAsync(run))
            {
                if (response.StatusCode != HttpStatusCode.OK)
                    throw new InvalidOperationException($"Approving {run} answered {(int)response.StatusCode}");
            }
            approveMs.Add(clock.Elapsed.TotalMilliseconds);
            var answered = DateTime.UtcNow;
            if (!await WaitFinalAsync([run], TimeSpan.FromSeconds(60), pollMilliseconds: 5))
                throw new InvalidOperationException($"Run {run} did not end within 60 s.");
            await using var cmd = Db.CreateCommand("SELECT min(start_time) FROM task_runs WHERE flow_run_id = $1");
            cmd.Parameters.AddWithValue(run);
            if (await cmd.ExecuteScalarAsync() is DateTime firstStart)
            {
                latencies.Add(Math.Max(0, (firstStart - sent).TotalMilliseconds));
                // The engine's share: the notification goes out at commit, so the task may start before the answer arrives (0).
                afterAnswer.Add(Math.Max(0, (firstStart - answered).TotalMilliseconds));
            }
        }

        var sorted = latencies.Order().ToArray();
        var approveSorted = approveMs.Order().ToArray();
        var afterSorted = afterAnswer.Order().ToArray();
        var p50 = LoadRunner.Percentile(sorted, 0.5);
        var p99 = LoadRunner.Percentile(sorted, 0.99);
        _markdown.Add("\n## Approve → first task, one run at a time (engine idle)\n");
        _markdown.Add("| runs | approve→first task `in_progress` p50 ms | p99 ms | approve request p50 ms | p99 ms | approve answered→first task p50 ms | p99 ms |");
        _markdown.Add("|---:|---:|---:|---:|---:|---:|---:|");
        _markdown.Add(NeenaClient.Invariant(
            $"| {sorted.Length} | {p50:F1} | {p99:F1} | {LoadRunner.Percentile(approveSorted, 0.5):F1} | {LoadRunner.Percentile(approveSorted, 0.99):F1} | {LoadRunner.Percentile(afterSorted, 0.5):F1} | {LoadRunner.Percentile(afterSorted, 0.99):F1} |"));
        _json["approve_latency_sequential"] = new JsonObject
        {
            ["runs"] = sorted.Length,
            ["approve_to_first_task_start_p50_ms"] = Math.Round(p50, 2),
            ["approve_to_first_task_start_p99_ms"] = Math.Round(p99, 2),
            ["approve_request_p50_ms"] = Math.Round(LoadRunner.Percentile(approveSorted, 0.5), 2),
            ["approve_request_p99_ms"] = Math.Round(LoadRunner.Percentile(approveSorted, 0.99), 2),
            ["approve_answered_to_first_task_start_p50_ms"] = Math.Round(LoadRunner.Percentile(afterSorted, 0.5), 2),
            ["approve_answered_to_first_task_start_p99_ms"] = Math.Round(LoadRunner.Percentile(afterSorted, 0.99), 2),
        };
        Log(NeenaClient.Invariant($"latency: approve → first task p50 {p50:F1} ms, p99 {p99:F1} ms"));
    }
}
