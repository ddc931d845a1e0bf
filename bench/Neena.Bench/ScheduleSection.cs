using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Neena.Bench;
using Neena.Harness;

/// <summary>
/// Schedule fires across two server instances on one database (issue 23, item 5). Many schedules fire every 10 s (the
/// shortest spacing a schedule may have), all at the same slots, so each slot is a burst of fires that both instances'
/// schedulers race to store; the unique (schedule, fire time) key keeps one. Measured on the stored trigger runs: fires per
/// second from a slot to its last stored fire, the lag from the slot to its trigger run, how many transactions stored a
/// slot (its distinct <c>created_date</c>s: a transaction's <c>now()</c>), and that each slot fired exactly once.
/// Each fire runs the same one-Echo flow with <c>requires_approval</c>, so processing a fire stops at a pending run: the
/// engine does no work and the figure is the scheduler's (with the trigger-run processing that shares the machine).
/// </summary>
internal sealed partial class Benchmark
{
    private const string EveryTenSeconds = "*/10 * * * * *";

    /// <summary>A second organization for schedules and notifications, so their runs and deliveries stay out of the seeded one's figures.</summary>
    private async Task<NeenaClient> TriggersClientAsync(Uri baseUrl)
    {
        if (_triggersApiKey is null)
        {
            Log("creating an API key in a second organization (schedules, notifications)");
            _triggersApiKey = await NeenaServerProcess.CreateApiKeyAsync(_connectionString, "bench-triggers@example.com");
        }
        return new NeenaClient(baseUrl, _triggersApiKey);
    }

    private string? _triggersApiKey;

    private async Task SchedulesAsync()
    {
        var json = new JsonObject();
        _json["schedules"] = json;
        var count = options.Quick ? 200 : 500;
        var slots = options.Quick ? 2 : 3;
        _markdown.Add(NeenaClient.Invariant($"\n## Schedules: {count} schedules firing every 10 s (`{EveryTenSeconds}`), {slots} slots\n"));
        var serverB = await ServerBAsync();
        _markdown.Add(serverB is null
            ? "One server (--url given): the second instance is missing.\n"
            : "Servers A and B run the scheduler on one database. Each fire runs a one-Echo flow with `requires_approval: true`: processing ends at a pending run, the engine does no work.\n");
        using var api = await TriggersClientAsync(_servers.Count > 0 ? _servers[0].BaseUrl : options.Url!);
        await WaitEngineIdleAsync();

        var echo = await api.TaskDefinitionIdAsync("Echo");
        var flow = await api.CreateFlowAsync("bench schedule target", [new FlowOperation(0, "echo", echo, new JsonObject { ["message"] = "fired" })], []);
        Log($"schedules: creating {count} active schedules");
        var clock = Stopwatch.StartNew();
        var ids = await NeenaClient.ForEachAsync(Enumerable.Range(0, count).ToList(), BenchOptions.WriteConcurrency, async (i, _) =>
            NeenaClient.IdOf(await api.PostJsonAsync("api/v1/schedule_trigger_operations/", new JsonObject
            {
                ["name"] = $"bench schedule {i}",
                ["cron"] = EveryTenSeconds,
                ["template_body"] = "Benchmark fire of <{schedule_name}> at <{fire_time}>",
                ["flow"] = flow.ToString(),
                ["requires_approval"] = true,
                ["status"] = "active",
            })));
        var createSeconds = clock.Elapsed.TotalSeconds;

        // The slots measured: from the first one after every schedule exists, with a second's margin so that none was
        // created after its slot began.
        await using var nowCommand = Db.CreateCommand("SELECT now()");
        var created = (DateTime)(await nowCommand.ExecuteScalarAsync())!;
        var first = new DateTime((created.AddSeconds(1).Ticks / TimeSpan.TicksPerSecond / 10 + 1) * 10 * TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        var last = first.AddSeconds(10 * (slots - 1));
        var expected = (long)count * slots;
        Log($"schedules: measuring the slots {first:HH:mm:ss}–{last:HH:mm:ss} UTC");

        const string Window = "schedule_trigger_operation_id = ANY($1) AND fire_time BETWEEN $2 AND $3";
        async Task<long> StoredAsync()
        {
            await using var cmd = Db.CreateCommand($"SELECT count(*) FROM trigger_runs WHERE {Window}");
            cmd.Parameters.AddWithValue(ids);
            cmd.Parameters.AddWithValue(first);
            cmd.Parameters.AddWithValue(last);
            return (long)(await cmd.ExecuteScalarAsync())!;
        }
        var deadline = last.AddSeconds(30) - created + clock.Elapsed;
        long stored;
        while ((stored = await StoredAsync()) < expected && clock.Elapsed < deadline)
            await Task.Delay(250);

        // Per slot: its fires over the time from the slot to its last stored fire (a burst's own span, first → last stored,
        // is 0 when one statement stores the slot), the transactions that stored it, and each fire's lag; duplicates by the pair.
        var lags = new List<double>();
        var rates = new List<double>();
        var transactions = new List<double>();
        long rows = 0, distinct = 0;
        await using (var cmd = Db.CreateCommand($"""
            SELECT fire_time, count(*), count(DISTINCT schedule_trigger_operation_id),
                   extract(epoch FROM max(created_date) - fire_time), count(DISTINCT created_date),
                   array_agg(extract(epoch FROM created_date - fire_time) * 1000)
            FROM trigger_runs WHERE {Window} GROUP BY fire_time ORDER BY fire_time
            """))
        {
            cmd.Parameters.AddWithValue(ids);
            cmd.Parameters.AddWithValue(first);
            cmd.Parameters.AddWithValue(last);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var fires = reader.GetInt64(1);
                rows += fires;
                distinct += reader.GetInt64(2);
                rates.Add(fires / Math.Max(0.001, (double)reader.GetDecimal(3)));
                transactions.Add(reader.GetInt64(4));
                lags.AddRange(reader.GetFieldValue<decimal[]>(5).Select(l => (double)l));
            }
        }
        var sortedLags = lags.Order().ToArray();
        var sortedRates = rates.Order().ToArray();
        var rateMedian = LoadRunner.Percentile(sortedRates, 0.5);

        // Switched off (no further slots) but kept until their trigger runs are processed: a deleted schedule's unprocessed
        // fires fail, and a slot stored in one statement leaves its whole burst to process after the last slot.
        Log("schedules: switching them off; waiting for their trigger runs to be processed");
        await using (var off = Db.CreateCommand("UPDATE schedule_trigger_operations SET status = 'inactive' WHERE id = ANY($1)"))
        {
            off.Parameters.AddWithValue(ids);
            await off.ExecuteNonQueryAsync();
        }
        var (processed, failed, processSeconds) = await TriggerRunsProcessedAsync(ids, first, last);
        Log("schedules: deleting them");
        var deletes = await NeenaClient.ForEachAsync(ids, BenchOptions.WriteConcurrency, async (id, _) =>
        {
            using var response = await api.Http.DeleteAsync($"api/v1/schedule_trigger_operations/?id={id}");
            return response.StatusCode;
        });
        if (deletes.Any(s => s != HttpStatusCode.OK))
            Log($"warning: {deletes.Count(s => s != HttpStatusCode.OK)} schedule deletions failed");

        void Row(string name, string key, double value, string format)
        {
            _markdown.Add($"| {name} | {value.ToString(format, CultureInfo.InvariantCulture)} |");
            json[key] = Math.Round(value, 2);
        }
        _markdown.Add("| measure | value |");
        _markdown.Add("|---|---:|");
        Row("server instances running the scheduler", "instances", serverB is null ? 1 : 2, "F0");
        Row($"schedules created (16 clients), per second", "creates_per_second", count / createSeconds, "F0");
        Row("fires expected (schedules × slots)", "fires_expected", expected, "F0");
        Row("fires stored", "fires_stored", rows, "F0");
        Row("duplicate fires (same schedule and slot)", "duplicates", rows - distinct, "F0");
        // A burst that outlasts 10 s overruns the next slot, which then fires late under missed_fires = run_once, outside the window.
        Row("fires missing from the measured slots (a burst overran the next slot)", "fires_missing", expected - rows, "F0");
        Row("fires per second of wall time over the slots (the offered load: schedules ÷ 10 s)", "fires_per_second_wall", rows / (10.0 * slots), "F0");
        Row("fires per second from a slot to its last stored fire, median of slots", "slot_fires_per_second_median", rateMedian, "F0");
        Row("fires per second from a slot to its last stored fire, slowest slot", "slot_fires_per_second_min", sortedRates.FirstOrDefault(), "F0");
        Row("transactions that stored a slot's fires (distinct created_date), median of slots", "transactions_per_slot_median", LoadRunner.Percentile(transactions.Order().ToArray(), 0.5), "F0");
        Row("lag fire_time → trigger run stored, p50 ms", "lag_p50_ms", LoadRunner.Percentile(sortedLags, 0.5), "F0");
        Row("lag fire_time → trigger run stored, p99 ms", "lag_p99_ms", LoadRunner.Percentile(sortedLags, 0.99), "F0");
        Row("lag fire_time → trigger run stored, max ms", "lag_max_ms", sortedLags.LastOrDefault(), "F0");
        Row("trigger runs processed into pending runs (completed)", "processed", processed, "F0");
        Row("trigger runs failed", "processing_failed", failed, "F0");
        Row("processing: trigger runs per second (first stored → last processed)", "processed_per_second", processed / Math.Max(0.001, processSeconds), "F0");
        if (rows != expected)
            Log($"warning: {rows} of {expected} fires of the measured slots were stored (a slot's burst took longer than 10 s?)");
        Log(NeenaClient.Invariant($"schedules: {rows} fires, {rateMedian:F0} fires/s from the slot, lag p99 {LoadRunner.Percentile(sortedLags, 0.99):F0} ms"));
    }

    /// <summary>Waits (bounded) until the window's trigger runs are processed; returns completed, failed and the processing span in seconds.</summary>
    private async Task<(long Completed, long Failed, double Seconds)> TriggerRunsProcessedAsync(Guid[] schedules, DateTime first, DateTime last)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            await using var cmd = Db.CreateCommand("""
                SELECT count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'failed'),
                       count(*) FILTER (WHERE status IN ('received', 'processing')),
                       coalesce(extract(epoch FROM max(modified_date) - min(created_date)), 0)
                FROM trigger_runs WHERE schedule_trigger_operation_id = ANY($1) AND fire_time BETWEEN $2 AND $3
                """);
            cmd.Parameters.AddWithValue(schedules);
            cmd.Parameters.AddWithValue(first);
            cmd.Parameters.AddWithValue(last);
            await using var reader = await cmd.ExecuteReaderAsync();
            await reader.ReadAsync();
            var (completed, failed, open, seconds) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), (double)reader.GetDecimal(3));
            if (open == 0 || clock.Elapsed > TimeSpan.FromSeconds(options.Quick ? 30 : 90))
            {
                if (open > 0)
                    Log($"warning: {open} trigger runs were still unprocessed");
                return (completed, failed, seconds);
            }
            await Task.Delay(500);
        }
    }
}
