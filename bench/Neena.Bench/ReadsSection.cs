using System.Net;
using System.Text.Json.Nodes;
using Neena.Bench;
using Neena.Harness;
using Npgsql;

/// <summary>API reads next to the same rows read with raw Npgsql (the ceiling), at several client counts.</summary>
internal sealed partial class Benchmark
{
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

        // Servers A and B start just before this section, so their request path is still at the JIT's first tiers (tier 0,
        // then instrumented for dynamic PGO): measured, a by-id read answers in 1.2 ms at first and 0.45 ms once tiered up
        // after a few thousand requests. Each endpoint and its ceiling run once unrecorded first, so that the cells compare
        // steady states (and the first cell, by id at 1 client, is not the one that pays for the warm-up).
        Log($"reads: warming up ({options.ReadsWarmUp.TotalSeconds:0} s per endpoint and ceiling)");
        foreach (var warm in new Func<long, CancellationToken, Task<bool>>[] { (_, ct) => ApiGet(getRun, ct), (_, ct) => SqlRun(ct), (_, ct) => ApiGet(list, ct), (_, ct) => SqlList(ct) })
        {
            foreach (var concurrency in options.ReadConcurrencies)
                _ = await LoadRunner.RunAsync(concurrency, TimeSpan.Zero, options.ReadsWarmUp / options.ReadConcurrencies.Length, 5_000_000, warm);
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
}
