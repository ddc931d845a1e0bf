using System.Net;
using System.Text.Json.Nodes;
using Neena.Bench;
using Neena.Harness;

/// <summary>API writes: flow requests, pending runs, and approvals with the engine running.</summary>
internal sealed partial class Benchmark
{
    private async Task WritesAsync(NeenaClient api, Seed seed)
    {
        var http = api.Http;
        var writes = new JsonArray();
        _markdown.Add("\n## API writes\n");
        _markdown.Add("| operation | clients | req/s | p50 ms | p99 ms | errors |");
        _markdown.Add("|---|---:|---:|---:|---:|---:|");

        void Row(string name, CellResult c)
        {
            _markdown.Add(NeenaClient.Invariant($"| `{name}` | {c.Concurrency} | {c.PerSecond:F0} | {c.P50Ms:F2} | {c.P99Ms:F2} | {c.Errors}{(c.FirstError is null ? "" : " — " + c.FirstError)} |"));
            var node = Cell(c);
            node["operation"] = name;
            node["concurrency"] = c.Concurrency;
            writes.Add(node);
        }

        Log("writes: POST /flow_requests/");
        var requests = await LoadRunner.RunAsync(BenchOptions.WriteConcurrency, options.WarmUp, options.CellDuration, 1_000_000, async (i, ct) =>
        {
            using var response = await http.PostAsync("api/v1/flow_requests/",
                NeenaClient.Json(NeenaClient.FlowRequestBody($"benchmark write number {i}")), ct);
            return response.StatusCode == HttpStatusCode.OK;
        });
        Row("POST /api/v1/flow_requests/", requests);

        Log($"writes: POST /flow_runs/ (creating {options.ApprovePool} pending runs of a 1-task flow)");
        var pool = new Guid[options.ApprovePool];
        var creates = await LoadRunner.RunAsync(BenchOptions.WriteConcurrency, TimeSpan.Zero, TimeSpan.FromMinutes(5), options.ApprovePool, async (i, ct) =>
        {
            using var response = await http.PostAsync("api/v1/flow_runs/", NeenaClient.Json(NeenaClient.RunBody(seed.EchoFlow1, seed.FlowRequest, false)), ct);
            if (response.StatusCode != HttpStatusCode.OK)
                return false;
            pool[i] = NeenaClient.IdOf(JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!);
            return true;
        });
        Row("POST /api/v1/flow_runs/ (pending)", creates);

        Log("writes: PUT /flow_runs/approve (engine running)");
        var pending = pool.Where(id => id != Guid.Empty).ToArray();
        var approves = await LoadRunner.RunAsync(BenchOptions.WriteConcurrency, TimeSpan.Zero, options.CellDuration, pending.Length, async (i, ct) =>
        {
            using var response = await http.PutAsync(NeenaClient.ApprovePath(pending[i]), null, ct);
            return response.StatusCode == HttpStatusCode.OK;
        });
        Row("PUT /api/v1/flow_runs/approve", approves);
        _json["writes"] = writes;
        await WaitEngineIdleAsync();
    }
}
