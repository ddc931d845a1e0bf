using System.Net;
using System.Text.Json.Nodes;
using Neena.Bench;
using Neena.Harness;

internal sealed partial class Benchmark
{
    /// <summary>
    /// Bytes the server allocates per read, next to the size of its answer, counted by the runtime over EventPipe while
    /// a fixed number of requests run (4 clients); everything the process allocates in that window counts, the idle
    /// engine's polling included. Next to it, the server's CPU time per request (user + system, from /proc): unlike
    /// throughput, it hardly moves when other work shares the machine, so it is the figure to compare changes by.
    /// </summary>
    private async Task AllocationAsync(NeenaClient api, Seed seed)
    {
        _markdown.Add("\n## Allocation per request (server A, 4 clients)\n");
        var json = new JsonArray();
        _json["allocation"] = json;
        if (_servers.Count == 0)
        {
            _markdown.Add("skipped: --url given (the allocation counter needs the server's process).");
            return;
        }
        _markdown.Add("| request | requests | response bytes | allocated per request KiB | allocated ÷ response | server CPU ms per request |");
        _markdown.Add("|---|---:|---:|---:|---:|---:|");
        foreach (var (name, path, count) in new[]
                 {
                     ("GET /api/v1/flow_runs/?id= (5 task runs)", $"api/v1/flow_runs/?id={seed.ReadRun}", options.Quick ? 500 : 2000),
                     ("GET /api/v1/flow_runs/all?limit=100", "api/v1/flow_runs/all?limit=100", options.Quick ? 100 : 400),
                 })
        {
            Log($"allocation: {name}, {count} requests");
            async Task<long> Read(int _, int __)
            {
                using var response = await api.Http.GetAsync(path);
                var body = await response.Content.ReadAsByteArrayAsync();
                if (response.StatusCode != HttpStatusCode.OK)
                    throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}");
                return body.Length;
            }

            await NeenaClient.ForEachAsync(Enumerable.Range(0, 20).ToList(), 4, Read);
            await using var meter = AllocationMeter.Start(_servers[0].ProcessId);
            await Task.Delay(500);
            var cpuBefore = CpuMilliseconds(_servers[0].ProcessId);
            var from = DateTime.UtcNow;
            var sizes = await NeenaClient.ForEachAsync(Enumerable.Range(0, count).ToList(), 4, Read);
            var to = DateTime.UtcNow;
            var cpuPerRequest = (CpuMilliseconds(_servers[0].ProcessId) - cpuBefore) / count;
            await Task.Delay(200);
            var allocated = await meter.StopAndSumAsync(from, to);

            var perRequest = (double)allocated / count;
            var responseBytes = sizes.Average();
            _markdown.Add(NeenaClient.Invariant(
                $"| `{name}` | {count} | {responseBytes:F0} | {perRequest / 1024:F0} | {perRequest / responseBytes:F2} | {cpuPerRequest:F2} |"));
            json.Add(new JsonObject
            {
                ["endpoint"] = name,
                ["requests"] = count,
                ["response_bytes"] = Math.Round(responseBytes),
                ["allocated_bytes_per_request"] = Math.Round(perRequest),
                ["allocated_over_response"] = Math.Round(perRequest / responseBytes, 3),
                ["server_cpu_ms_per_request"] = Math.Round(cpuPerRequest, 3),
            });
        }
    }
}
