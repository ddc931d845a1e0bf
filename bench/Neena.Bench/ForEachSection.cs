using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Neena.Harness;

/// <summary>
/// A <c>for_each</c> task over 1,000 items (issue 20): items per second through the engine (one Echo call per item, each
/// item recorded durably before and after its call), next to a raw ceiling of the same item writes (the same rows, a start
/// and a completion per item, at the same item concurrency), and server A's memory before, at its peak and after.
/// </summary>
internal sealed partial class Benchmark
{
    private const int ForEachItems = 1000;
    // A for_each task calls its items Engine:MaxConcurrentTasksPerRun at once: the ceiling writes at the servers' setting.
    private int ForEachItemConcurrency => int.Parse(ServerSettings["Engine__MaxConcurrentTasksPerRun"], CultureInfo.InvariantCulture);

    private async Task ForEachAsync(NeenaClient api)
    {
        var items = options.Quick ? 200 : ForEachItems;
        _markdown.Add(NeenaClient.Invariant($"\n## for_each: one Echo task over {items} items\n"));
        _markdown.Add("| measure | value |");
        _markdown.Add("|---|---:|");
        var json = new JsonObject();
        _json["for_each"] = json;
        var server = _servers.Count > 0 ? _servers[0] : null;
        void Row(string name, string key, double value, string format)
        {
            _markdown.Add($"| {name} | {value.ToString(format, CultureInfo.InvariantCulture)} |");
            json[key] = Math.Round(value, 1);
        }

        await WaitEngineIdleAsync();
        var rssBefore = server is null ? 0 : CurrentRssKb(server.ProcessId);
        var echo = await api.TaskDefinitionIdAsync("Echo");
        var flowBody = new JsonObject
        {
            ["name"] = "bench for_each",
            ["task_operations"] = new JsonArray(new JsonObject
            {
                ["name"] = "echo each",
                ["task_definition"] = echo.ToString(),
                ["index"] = 0,
                ["for_each"] = "{{request.metadata.items}}",
                ["parameters"] = new JsonObject { ["message"] = "{{item.text}}" },
            }),
            ["dependencies"] = new JsonArray(),
        };
        var flow = NeenaClient.IdOf(await api.PostJsonAsync("api/v1/flows/", flowBody));
        var body = NeenaClient.FlowRequestBody("benchmark for_each");
        body["request_metadata"] = new JsonArray(new JsonObject
        {
            ["items"] = new JsonArray(Enumerable.Range(0, items).Select(i => (JsonNode)new JsonObject { ["text"] = "item " + i }).ToArray()),
        });
        var request = NeenaClient.IdOf(await api.PostJsonAsync("api/v1/flow_requests/", body));
        var run = await api.CreateRunAsync(flow, request, approved: true);
        var clock = Stopwatch.StartNew();
        // Sample the resident memory while the run works: the peak of this section, not of the whole benchmark.
        long peak = rssBefore;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested && server is not null)
            {
                peak = Math.Max(peak, CurrentRssKb(server.ProcessId));
                try { await Task.Delay(50, sampling.Token); } catch (OperationCanceledException) { }
            }
        });
        var ended = await WaitFinalAsync([run], TimeSpan.FromMinutes(5), pollMilliseconds: 20);
        var seconds = Math.Max(0.001, clock.Elapsed.TotalSeconds);
        await sampling.CancelAsync();
        await sampler;
        if (!ended)
            throw new InvalidOperationException("The for_each run did not end in 5 minutes.");
        var answer = await api.GetRunAsync(run);
        var status = answer["status"]?.GetValue<string>();
        var task = answer["task_runs"]?[0];
        var completedItems = task?["items"]?.AsArray().Count(i => i?["status"]?.GetValue<string>() == "completed") ?? 0;
        if (status != "completed" || completedItems != items)
            throw new InvalidOperationException($"The for_each run ended {status} with {completedItems} of {items} items completed.");
        Row("run, s", "run_seconds", seconds, "F2");
        Row("items per second (engine)", "items_per_second", items / seconds, "F0");

        var taskRunId = Guid.Parse(task!["id"]!.GetValue<string>());
        var ceiling = await ForEachCeilingAsync(taskRunId, items);
        Row(NeenaClient.Invariant($"items per second (raw ceiling: the same item writes at {ForEachItemConcurrency} at once)"), "ceiling_items_per_second", ceiling, "F0");
        Row("engine ÷ ceiling", "ratio", items / seconds / ceiling, "F2");
        Row("server A RSS before, MiB", "rss_before_mb", rssBefore / 1024.0, "F0");
        Row("server A RSS peak during the run, MiB", "rss_peak_mb", peak / 1024.0, "F0");
        Row("server A RSS after, MiB", "rss_after_mb", (server is null ? 0 : CurrentRssKb(server.ProcessId)) / 1024.0, "F0");
    }

    /// <summary>
    /// The run's own item rows written again as the engine writes them, with raw statements and no fence: the item rows
    /// created pending in one statement (as the engine opens the task), then per item <c>in_progress</c> before the call and
    /// <c>completed</c> with the very result the engine stored after it, <see cref="ForEachItemConcurrency"/> items at once.
    /// </summary>
    private async Task<double> ForEachCeilingAsync(Guid taskRunId, int items)
    {
        var results = new string[items];
        await using (var read = Db.CreateCommand("SELECT item_index, result::text FROM task_run_items WHERE task_run_id = $1"))
        {
            read.Parameters.AddWithValue(taskRunId);
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                results[reader.GetInt32(0)] = reader.GetString(1);
        }
        await using (var reset = Db.CreateCommand("DELETE FROM task_run_items WHERE task_run_id = $1"))
        {
            reset.Parameters.AddWithValue(taskRunId);
            await reset.ExecuteNonQueryAsync();
        }
        var clock = Stopwatch.StartNew();
        await using (var open = Db.CreateCommand("""
            INSERT INTO task_run_items (task_run_id, organization_id, item_index, status, attempt)
            SELECT t.id, t.organization_id, g, 'pending', 0 FROM task_runs t, generate_series(0, $2 - 1) g WHERE t.id = $1
            """))
        {
            open.Parameters.AddWithValue(taskRunId);
            open.Parameters.AddWithValue(items);
            await open.ExecuteNonQueryAsync();
        }
        await NeenaClient.ForEachAsync(Enumerable.Range(0, items).ToList(), ForEachItemConcurrency, async (index, _) =>
        {
            await using (var start = Db.CreateCommand(
                "UPDATE task_run_items SET status = 'in_progress', attempt = attempt + 1, start_time = coalesce(start_time, now()), end_time = NULL, error = NULL WHERE task_run_id = $1 AND item_index = $2"))
            {
                start.Parameters.AddWithValue(taskRunId);
                start.Parameters.AddWithValue(index);
                await start.ExecuteNonQueryAsync();
            }
            await using var complete = Db.CreateCommand(
                "UPDATE task_run_items SET status = 'completed', result = $3::jsonb, error = NULL, end_time = now() WHERE task_run_id = $1 AND item_index = $2");
            complete.Parameters.AddWithValue(taskRunId);
            complete.Parameters.AddWithValue(index);
            complete.Parameters.AddWithValue(results[index]);
            await complete.ExecuteNonQueryAsync();
            return true;
        });
        return items / Math.Max(0.001, clock.Elapsed.TotalSeconds);
    }
}
