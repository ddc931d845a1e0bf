using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Neena.Bench;
using Neena.Harness;

/// <summary>
/// Analytics at size (issue 13): 100,000 runs in the bench organization (four fifths on one flow, over 30 days, in every
/// state but in progress, three task runs each with tokens, a flow result for every ended run), then each analytics
/// request measured one at a time (one client: the figure is the query, not queueing).
/// </summary>
internal sealed partial class Benchmark
{
    private const int AnalyticsRuns = 100_000;

    private async Task AnalyticsAsync(NeenaClient api, Seed seed)
    {
        await WaitEngineIdleAsync();
        var seeding = Stopwatch.StartNew();
        Log($"analytics: seeding {AnalyticsRuns} runs in one organization");
        await SeedAnalyticsAsync(seed);
        Log($"analytics: seeded in {seeding.Elapsed.TotalSeconds:F0} s");

        var requests = options.Quick ? 40 : 200;
        var week = Uri.EscapeDataString(DateTime.UtcNow.AddDays(-7).ToString("O"));
        var org = _organization;
        var flow = seed.EchoFlow5;
        await using var who = Db.CreateCommand("SELECT id FROM users WHERE organization_id = $1 LIMIT 1");
        who.Parameters.AddWithValue(org);
        var user = (Guid)(await who.ExecuteScalarAsync())!;
        var cases = new (string Name, string Path)[]
        {
            ("runs: first page (25)", $"api/v1/analytics/org/{org}/flows/{flow}"),
            ("runs: state=FAILED, page_size=100", $"api/v1/analytics/org/{org}/flows/{flow}?state=FAILED&page_size=100"),
            ("runs: last 7 days, user_id, state=COMPLETED,CANCELLED", $"api/v1/analytics/org/{org}/flows/{flow}?start_date={week}&user_id={user}&state=COMPLETED,CANCELLED"),
            ("runs: page 1000 (offset 25,000)", $"api/v1/analytics/org/{org}/flows/{flow}?page=1000"),
            ("summary: whole organization (100,000 runs)", $"api/v1/analytics/org/{org}/summary"),
            ("summary: one flow, last 7 days", $"api/v1/analytics/org/{org}/summary?flow_id={flow}&start_date={week}"),
        };

        _markdown.Add($"\n## Analytics with {AnalyticsRuns:N0} runs in one organization (one client, sequential)\n");
        _markdown.Add("| request | requests | p50 ms | p99 ms | response bytes |");
        _markdown.Add("|---|---:|---:|---:|---:|");
        var json = new JsonArray();
        _json["analytics"] = new JsonObject { ["runs_in_organization"] = AnalyticsRuns, ["seed_seconds"] = Math.Round(seeding.Elapsed.TotalSeconds, 1), ["requests"] = json };
        foreach (var (name, path) in cases)
        {
            var times = new List<double>(requests);
            long bytes = 0;
            for (var i = -5; i < requests; i++)
            {
                var clock = Stopwatch.StartNew();
                using var response = await api.Http.GetAsync(path);
                var body = await response.Content.ReadAsByteArrayAsync();
                var elapsed = clock.Elapsed.TotalMilliseconds;
                if (response.StatusCode != HttpStatusCode.OK)
                    throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
                if (i < 0)
                    continue; // warm-up: plans cached, connection pooled
                times.Add(elapsed);
                bytes = body.Length;
            }
            var sorted = times.Order().ToArray();
            var p50 = LoadRunner.Percentile(sorted, 0.5);
            var p99 = LoadRunner.Percentile(sorted, 0.99);
            _markdown.Add(NeenaClient.Invariant($"| {name} | {requests} | {p50:F1} | {p99:F1} | {bytes} |"));
            json.Add(new JsonObject { ["request"] = name, ["path"] = path, ["requests"] = requests, ["p50_ms"] = Math.Round(p50, 2), ["p99_ms"] = Math.Round(p99, 2), ["response_bytes"] = bytes });
            Log(NeenaClient.Invariant($"analytics: {name}: p50 {p50:F1} ms, p99 {p99:F1} ms"));
        }
    }

    /// <summary>The runs, their task runs (copied from the seeded read run's first three) and results, in set-based SQL.</summary>
    private async Task SeedAnalyticsAsync(Seed seed)
    {
        await using var connection = await Db.OpenConnectionAsync();
        await using (var runs = new Npgsql.NpgsqlCommand("""
            INSERT INTO flow_runs (id, organization_id, flow_id, flow_request_id, status, approval_status, triggered_time, start_time, end_time,
                                   triggered_by, claim_attempts, created_date, modified_date, tags, run_type, ran_by_type, ran_by_id, ran_by_user_id,
                                   created_by_type, created_by_id, retry_count, prompt_tokens, completion_tokens)
            SELECT gen_random_uuid(), $1, CASE WHEN g % 5 = 0 THEN $3 ELSE $2 END, $4, s.status,
                   CASE WHEN s.status = 'pending' THEN NULL ELSE 'approved' END,
                   t.at, CASE WHEN s.status = 'pending' THEN NULL ELSE t.at END,
                   CASE WHEN s.status = 'pending' THEN NULL ELSE t.at + (g % 20) * interval '1 second' + interval '200 milliseconds' END,
                   'bench-analytics', 0, t.at, t.at, '{}', 'api', k.type, k.id, k.user_id, k.type, k.id, 0,
                   CASE WHEN s.status = 'pending' THEN NULL ELSE 300 END, CASE WHEN s.status = 'pending' THEN NULL ELSE 60 END
            FROM generate_series(1, $5) AS g
            CROSS JOIN LATERAL (SELECT now() - (g % 30) * interval '1 day' - (g % 1440) * interval '1 minute' AS at) AS t
            CROSS JOIN LATERAL (SELECT CASE WHEN g % 20 = 0 THEN 'pending' WHEN g % 10 = 1 THEN 'cancelled'
                                            WHEN g % 7 = 2 THEN 'failed' ELSE 'completed' END AS status) AS s
            CROSS JOIN (SELECT 'api_key' AS type, id, user_id FROM api_keys WHERE organization_id = $1 ORDER BY created_date LIMIT 1) AS k
            """, connection))
        {
            runs.CommandTimeout = 600;
            runs.Parameters.AddWithValue(_organization);
            runs.Parameters.AddWithValue(seed.EchoFlow5);
            runs.Parameters.AddWithValue(seed.EchoFlow1);
            runs.Parameters.AddWithValue(seed.FlowRequest);
            runs.Parameters.AddWithValue(AnalyticsRuns);
            await runs.ExecuteNonQueryAsync();
        }
        await using (var tasks = new Npgsql.NpgsqlCommand("""
            INSERT INTO task_runs (id, organization_id, flow_run_id, task_operation_index, status, start_time, end_time, error, attempt,
                                   prompt_tokens, completion_tokens, task_operation_id, task_definition_id, operation_name, depends_on,
                                   sorted_index, created_date, modified_date)
            SELECT gen_random_uuid(), r.organization_id, r.id, tpl.task_operation_index,
                   CASE WHEN r.status = 'completed' OR tpl.task_operation_index = 0 THEN 'completed'
                        WHEN r.status = 'failed' AND tpl.task_operation_index = 1 THEN 'failed' ELSE 'cancelled' END,
                   r.start_time, r.end_time,
                   CASE WHEN r.status = 'failed' AND tpl.task_operation_index = 1 THEN 'bench failure' END,
                   1, 100, 20, tpl.task_operation_id, tpl.task_definition_id, tpl.operation_name, tpl.depends_on, tpl.sorted_index,
                   r.created_date, r.created_date
            FROM flow_runs r
            CROSS JOIN (SELECT * FROM task_runs WHERE flow_run_id = $1 AND task_operation_index < 3) AS tpl
            WHERE r.triggered_by = 'bench-analytics' AND r.status <> 'pending'
            """, connection))
        {
            tasks.CommandTimeout = 900;
            tasks.Parameters.AddWithValue(seed.ReadRun);
            await tasks.ExecuteNonQueryAsync();
        }
        // No parameters: several statements in one text.
        await using (var results = new Npgsql.NpgsqlCommand("""
            INSERT INTO flow_results (id, organization_id, flow_run_id, body, created_date, modified_date)
            SELECT gen_random_uuid(), r.organization_id, r.id, '{"status":"' || r.status || '","message":"bench","outputs":{},"errors":[]}',
                   r.end_time, r.end_time
            FROM flow_runs r WHERE r.triggered_by = 'bench-analytics' AND r.end_time IS NOT NULL;
            """, connection))
        {
            results.CommandTimeout = 900;
            await results.ExecuteNonQueryAsync();
        }
        // As autovacuum would leave the tables after a while: statistics and a visibility map for index-only scans.
        foreach (var table in new[] { "flow_runs", "task_runs", "flow_results" })
        {
            await using var vacuum = new Npgsql.NpgsqlCommand($"VACUUM ANALYZE {table}", connection) { CommandTimeout = 900 };
            await vacuum.ExecuteNonQueryAsync();
        }
    }
}
