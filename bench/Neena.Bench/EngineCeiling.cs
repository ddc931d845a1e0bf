using System.Diagnostics;
using System.Text.Json.Nodes;
using Neena.Harness;
using Npgsql;

internal sealed partial class Benchmark
{
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
}
