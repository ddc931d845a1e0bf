using System.Globalization;
using System.Text.Json.Nodes;
using Neena.Harness;

/// <summary>
/// The figures next to their goals (issue 23), read back from the JSON of the sections that ran: a row whose
/// section did not run is left out. Goals are the issue's; the large-run bounds are the benchmark's own (see
/// <see cref="LargeRunBoundMb"/>).
/// </summary>
internal sealed partial class Benchmark
{
    /// <summary>
    /// What the large run may add to server A's resident memory: its 1 MB of metadata is echoed by 10 tasks (a 10 MB read),
    /// so a server that keeps nothing of it after answering stays well within 100 MiB of where it started.
    /// </summary>
    private const double LargeRunBoundMb = 100;

    private sealed record Goal(string Figure, double? Now, string Format, string Target, bool? Met);

    private List<Goal> Goals()
    {
        var goals = new List<Goal>();
        void AtLeast(string figure, double? now, double goal, string format) =>
            goals.Add(new Goal(figure, now, format, "≥ " + goal.ToString(format, CultureInfo.InvariantCulture), now is { } n ? n >= goal : null));
        void AtMost(string figure, double? now, double goal, string format, string? target = null) =>
            goals.Add(new Goal(figure, now, format, target ?? "≤ " + goal.ToString(format, CultureInfo.InvariantCulture), now is { } n ? n <= goal : null));
        void Reported(string figure, double? now, string format) => goals.Add(new Goal(figure, now, format, "none (measured)", null));
        static double? Number(JsonNode? node) => node is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;

        if (_json["reads"] is JsonArray reads)
        {
            foreach (var cell in reads)
            {
                var endpoint = cell!["endpoint"]!.GetValue<string>();
                var concurrency = cell["concurrency"]!.GetValue<int>();
                var ratio = Number(cell["api_over_ceiling"]);
                if (endpoint.Contains("?id=", StringComparison.Ordinal))
                    AtLeast($"`GET /flow_runs/?id=` API ÷ ceiling, {concurrency} client(s)", ratio, concurrency switch { 1 => 0.5, 16 => 0.9, _ => 1.0 }, "F2");
                else
                    AtLeast($"`GET /flow_runs/all?limit=100` API ÷ ceiling, {concurrency} client(s)", ratio, 0.75, "F2");
            }
        }
        if (_json["engine"] is JsonArray { Count: > 0 } engine)
        {
            AtLeast("engine, one server: runs/s ÷ ceiling", Number(engine[0]!["engine_over_ceiling"]), 1.0, "F2");
            AtMost("database transactions per 5-task run (one server)", Number(engine[0]!["transactions_per_run"]), 15, "F1");
        }
        if (_json["approve_latency_sequential"] is JsonObject latency)
        {
            AtMost("approve → first task `in_progress`, one at a time, p50 ms", Number(latency["approve_to_first_task_start_p50_ms"]), 2, "F1");
            AtMost("approve → first task `in_progress`, one at a time, p99 ms", Number(latency["approve_to_first_task_start_p99_ms"]), 8, "F1");
        }
        if (_json["writes"] is JsonArray writes
            && writes.FirstOrDefault(w => w!["operation"]?.GetValue<string>() == "PUT /api/v1/flow_runs/approve") is { } approve)
            AtMost($"`PUT /approve` at {BenchOptions.WriteConcurrency} clients, p99 ms", Number(approve["p99_ms"]), 30, "F1");
        if (_json["memory"] is JsonArray { Count: > 0 } memory)
            AtMost("server peak RSS, servers A and B, over every section before the large run (reads … notifications), MiB", memory.Max(m => Number(m!["peak_rss_mb"]) ?? 0), 250, "F0");
        if (_json["generation"] is JsonObject generation && Number(generation["peak_rss_after_mb"]) is { } planner)
            AtMost("planner server peak RSS after the embedding model loads, MiB", planner, 300, "F0");
        if (_json["large_run"] is JsonObject large && Number(large["rss_before_mb"]) is { } before)
        {
            var bound = before + LargeRunBoundMb;
            var target = NeenaClient.Invariant($"≤ {bound:F0} (before + {LargeRunBoundMb:F0})");
            AtMost("server A RSS after a run over 1 MB of request metadata and its read, MiB", Number(large["rss_after_run_mb"]), bound, "F0", target);
            AtMost($"server A RSS with {StalledReaders} stalled live-event readers, MiB", Number(large["rss_stalled_mb"]), bound, "F0", target);
            AtMost("server A RSS after those readers were dropped and closed, MiB", Number(large["rss_after_close_mb"]), bound, "F0", target);
        }
        if (_json["for_each"] is JsonObject forEach)
        {
            Reported("`for_each` items/s (engine)", Number(forEach["items_per_second"]), "F0");
            Reported("`for_each` items/s, raw ceiling of the same writes", Number(forEach["ceiling_items_per_second"]), "F0");
        }
        if (_json["schedules"] is JsonObject schedules)
        {
            Reported("schedule fires/s, two instances (slot → its last fire stored)", Number(schedules["slot_fires_per_second_median"]), "F0");
            Reported("schedule fire_time → trigger run stored, p99 ms", Number(schedules["lag_p99_ms"]), "F0");
        }
        if (_json["notifications"] is JsonObject notifications)
            Reported("notification deliveries/s from the outbox (default MaxPerOrganization)", Number(notifications["deliveries_per_second"]), "F0");
        return goals;
    }

    /// <summary>The goals table, first in the report: markdown lines, and the same rows as JSON.</summary>
    private (List<string> Markdown, JsonArray Json) GoalsTable()
    {
        var markdown = new List<string>
        {
            "## Goals (issue 23)\n",
            NeenaClient.Invariant($"The large-run rows are bounded by the benchmark itself: server A's RSS before the large run + {LargeRunBoundMb:F0} MiB. Rows whose section did not run are left out; \"none\" rows are measured without a goal.\n"),
            "| figure | now | goal | met |",
            "|---|---:|---:|:---:|",
        };
        var json = new JsonArray();
        foreach (var goal in Goals())
        {
            var now = goal.Now is { } n ? n.ToString(goal.Format, CultureInfo.InvariantCulture) : "n/a";
            var met = goal.Met switch { true => "yes", false => "no", null => "—" };
            markdown.Add($"| {goal.Figure} | {now} | {goal.Target} | {met} |");
            json.Add(new JsonObject
            {
                ["figure"] = goal.Figure,
                ["now"] = goal.Now is { } v ? Math.Round(v, 2) : null,
                ["goal"] = goal.Target,
                ["met"] = goal.Met,
            });
        }
        return (markdown, json);
    }
}
