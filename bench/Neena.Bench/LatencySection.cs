using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Neena.Bench;
using Neena.Harness;

internal sealed partial class Benchmark
{
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
