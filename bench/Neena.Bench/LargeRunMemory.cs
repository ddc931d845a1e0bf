using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Neena.Harness;

/// <summary>
/// A large run and what it costs the server (issue 18, item 9; issue 23, item 3): 10 Echo tasks over 1 MB of request
/// metadata (at least 1,000,000 bytes as sent, checked), its read's size, and server A's resident memory before it, after
/// it, with 20 live-event clients that read nothing, and once those have been dropped (<c>RunEvents:SlowReaderSeconds</c>)
/// and closed. The goals table bounds the last three by the memory before + <see cref="LargeRunBoundMb"/>.
/// </summary>
internal sealed partial class Benchmark
{
    private const int LargeRunTasks = 10;
    private const int StalledReaders = 20;

    private async Task LargeRunMemoryAsync(NeenaClient api)
    {
        _markdown.Add("\n## A large run: 10 Echo tasks over 1 MB of request metadata\n");
        _markdown.Add("| measure | value |");
        _markdown.Add("|---|---:|");
        var json = new JsonObject();
        _json["large_run"] = json;
        var server = _servers.Count > 0 ? _servers[0] : null;
        long Rss() => server is null ? 0 : CurrentRssKb(server.ProcessId);
        void Row(string name, string key, double value, string format)
        {
            _markdown.Add($"| {name} | {value.ToString(format, CultureInfo.InvariantCulture)} |");
            json[key] = Math.Round(value, 1);
        }

        await WaitEngineIdleAsync();
        Row("server A RSS before, MiB", "rss_before_mb", Rss() / 1024.0, "F0");
        var echo = await api.TaskDefinitionIdAsync("Echo");
        var flow = await api.CreateFlowAsync("bench large run", Enumerable.Range(0, LargeRunTasks)
            .Select(i => new FlowOperation(i, $"echo {i}", echo)).ToList(), []);
        // Echo's parameters are matched by name from the metadata: each task echoes all of it.
        var metadata = new JsonArray(new JsonObject
        {
            ["message"] = new string('m', 530_000),
            ["data"] = new JsonArray(Enumerable.Range(0, 55_000).Select(i => (JsonNode)JsonValue.Create("v" + i)).ToArray()),
        });
        var metadataBytes = System.Text.Encoding.UTF8.GetByteCount(metadata.ToJsonString());
        if (metadataBytes < 1_000_000)
            throw new InvalidOperationException($"The large run's metadata is {metadataBytes} bytes, under the 1 MB it must be.");
        Row("request metadata, MB", "metadata_mb", metadataBytes / 1_000_000.0, "F2");
        var body = NeenaClient.FlowRequestBody("benchmark large run");
        body["request_metadata"] = metadata;
        var request = NeenaClient.IdOf(await api.PostJsonAsync("api/v1/flow_requests/", body));
        var run = await api.CreateRunAsync(flow, request, approved: true);
        var clock = Stopwatch.StartNew();
        if (!await WaitFinalAsync([run], TimeSpan.FromMinutes(3)))
            throw new InvalidOperationException("The large run did not end in 3 minutes.");
        Row("run, s", "run_seconds", clock.Elapsed.TotalSeconds, "F1");
        var read = await api.Http.GetStringAsync($"api/v1/flow_runs/?id={run}");
        Row("GET /flow_runs/?id= answer, MB", "read_mb", read.Length / 1_000_000.0, "F1");
        Row("server A RSS after the run and its read, MiB", "rss_after_run_mb", Rss() / 1024.0, "F0");

        // Clients that open the stream and never read: the server's writes to them wait until they are dropped.
        var stalled = new List<HttpResponseMessage>();
        try
        {
            for (var i = 0; i < StalledReaders; i++)
            {
                var open = new HttpRequestMessage(HttpMethod.Get, $"api/v1/flow_runs/events?id={run}");
                stalled.Add(await api.Http.SendAsync(open, HttpCompletionOption.ResponseHeadersRead));
            }
            Row("streams opened (of 20)", "streams_opened", stalled.Count(r => r.IsSuccessStatusCode), "F0");
            await Task.Delay(TimeSpan.FromSeconds(5));
            Row("server A RSS with 20 stalled readers, MiB", "rss_stalled_mb", Rss() / 1024.0, "F0");
            // RunEvents:SlowReaderSeconds (30 s by default) and a margin: the server has dropped them by now.
            await Task.Delay(TimeSpan.FromSeconds(options.Quick ? 10 : 35));
            Row("server A RSS after the slow-reader limit, MiB", "rss_after_drop_mb", Rss() / 1024.0, "F0");
        }
        finally
        {
            foreach (var response in stalled)
                response.Dispose();
        }
        await Task.Delay(TimeSpan.FromSeconds(5));
        Row("server A RSS after the clients closed, MiB", "rss_after_close_mb", Rss() / 1024.0, "F0");
    }
}
