using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Neena.Bench;
using Neena.Harness;

internal sealed partial class Benchmark
{
    // Requests the built-in tasks can serve, so every answer is a planned flow (200), not "nothing fits".
    private static readonly string[] GenerationRequests =
    [
        "Send a greeting composed from the request's name",
        "Pause for ten seconds before continuing",
        "Fetch the JSON document at https://example.com/status and echo what it says",
        "Compose a short thank-you note for the customer and echo it back",
        "Wait two minutes, then echo that the reminder is due",
    ];

    /// <summary>
    /// Flow generation without a language model (the deterministic planner: embed the request, rank the catalogue, wire by
    /// data flow). It runs on a server of its own with the engine off, so the embedding model (~100 MB) it loads on first
    /// use shows in that server's memory, not in the figures of the servers above.
    /// </summary>
    private async Task GenerationAsync()
    {
        var json = new JsonObject();
        _json["generation"] = json;
        _markdown.Add("\n## Flow generation without a model\n");
        if (options.Url is not null)
        {
            _markdown.Add("skipped: --url given (the cold figures need a fresh server).");
            return;
        }

        // Vectors stored by an earlier server would hide the catalogue embedding this section measures.
        await using (var clear = Db.CreateCommand("DELETE FROM task_definition_embeddings"))
            await clear.ExecuteNonQueryAsync();

        Log("generation: starting server G (engine off, planner without a model)");
        var settings = new Dictionary<string, string>(EngineSettings) { ["Engine__Enabled"] = "false", ["LanguageModel__Provider"] = "none" };
        await using var server = await NeenaServerProcess.StartAsync(_connectionString, "bench-gen", settings);
        using var api = new NeenaClient(server.BaseUrl, _apiKey, timeout: TimeSpan.FromMinutes(3));
        var rssBeforeKb = server.SamplePeakRssKb();

        // Each request carries in its metadata the inputs its tasks take: a plan without a model must be runnable (§6), so a
        // bare ?request=TEXT (no metadata) is refused for most requests. A dry run plans exactly as a saving GET, unsaved.
        var metadata = new JsonArray(new JsonObject
        {
            ["template"] = "Hello, {name}!",
            ["values"] = new JsonObject { ["name"] = "Ada" },
            ["seconds"] = 10,
            ["url"] = "https://example.com/status",
            ["message"] = "The reminder is due",
        });
        var requestIds = new List<Guid>();
        foreach (var text in GenerationRequests)
        {
            var body = NeenaClient.FlowRequestBody(text);
            body["request_metadata"] = metadata.DeepClone();
            requestIds.Add(NeenaClient.IdOf(await api.PostJsonAsync("api/v1/flow_requests/", body)));
        }
        string PathOf(int request) => $"api/v1/flows/generate?flow_request_id={requestIds[request]}&dry_run=true";

        Log("generation: the first request (loads the model, embeds the catalogue)");
        var cold = Stopwatch.StartNew();
        using (var first = await api.Http.GetAsync(PathOf(0)))
        {
            if (first.StatusCode != HttpStatusCode.OK)
                throw new InvalidOperationException($"The first generation answered {(int)first.StatusCode}: {await first.Content.ReadAsStringAsync()}");
        }
        var coldMs = cold.Elapsed.TotalMilliseconds;

        // The server logs what the catalogue embedding took; the line is the measurement, the first request only its cause.
        await Task.Delay(500);
        var embedded = System.Text.RegularExpressions.Regex.Match(server.RecentOutput, @"Embedded (\d+) task definitions in (\d+) ms");
        var loaded = System.Text.RegularExpressions.Regex.Match(server.RecentOutput, @"Loaded the sentence embedding model .* in (\d+) ms");
        var loadMs = loaded.Success ? double.Parse(loaded.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : double.NaN;
        var definitions = embedded.Success ? int.Parse(embedded.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var embedMs = embedded.Success ? double.Parse(embedded.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : double.NaN;

        _markdown.Add("| measure | value |");
        _markdown.Add("|---|---:|");
        _markdown.Add(NeenaClient.Invariant($"| first request (model load + catalogue embedding + plan) ms | {coldMs:F0} |"));
        _markdown.Add(loaded.Success
            ? NeenaClient.Invariant($"| embedding model load (once per process, on first use) ms | {loadMs:F0} |")
            : "| embedding model load | not found in the server's log |");
        _markdown.Add(embedded.Success && loaded.Success
            ? NeenaClient.Invariant($"| catalogue embedding: {definitions} task definitions (model load excluded), ms | {embedMs - loadMs:F0} |")
            : "| catalogue embedding | not found in the server's log |");
        json["first_request_ms"] = Math.Round(coldMs, 1);
        json["catalogue_definitions"] = definitions;
        json["model_load_ms"] = loaded.Success ? loadMs : null;
        json["catalogue_embedding_ms"] = embedded.Success && loaded.Success ? embedMs - loadMs : null;

        var warm = new JsonArray();
        foreach (var concurrency in new[] { 1, 4 })
        {
            Log($"generation: warm requests at {concurrency} clients");
            var cell = await LoadRunner.RunAsync(concurrency, options.WarmUp, options.CellDuration, 100_000, async (i, ct) =>
            {
                using var response = await api.Http.GetAsync(PathOf((int)(i % GenerationRequests.Length)), ct);
                _ = await response.Content.ReadAsByteArrayAsync(ct);
                return response.StatusCode == HttpStatusCode.OK;
            });
            _markdown.Add(NeenaClient.Invariant(
                $"| `GET /api/v1/flows/generate?flow_request_id=…&dry_run=true`, {concurrency} client(s): req/s · p50 ms · p99 ms | {cell.PerSecond:F1} · {cell.P50Ms:F1} · {cell.P99Ms:F1}{ErrorNote(cell)} |"));
            var node = Cell(cell);
            node["concurrency"] = concurrency;
            warm.Add(node);
        }
        json["warm"] = warm;

        var rssAfterKb = server.SamplePeakRssKb();
        _markdown.Add(NeenaClient.Invariant($"| server G peak RSS before / after generating, MiB | {rssBeforeKb / 1024.0:F0} / {rssAfterKb / 1024.0:F0} |"));
        json["peak_rss_before_mb"] = Math.Round(rssBeforeKb / 1024.0, 1);
        json["peak_rss_after_mb"] = Math.Round(rssAfterKb / 1024.0, 1);
    }
}
