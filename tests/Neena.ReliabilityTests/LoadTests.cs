using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Neena.Harness;
using Neena.ReliabilityTests.Infrastructure;
using Xunit.Abstractions;

namespace Neena.ReliabilityTests;

/// <summary>
/// 50 concurrent clients for 60 seconds mixing reads, writes and approvals against a real server process (engine running):
/// no 5xx, no failed request, and every write that was answered 200 is readable afterwards by its id.
/// </summary>
public sealed class LoadTests(ITestOutputHelper output)
{
    private const int Clients = 50;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Fifty_clients_for_a_minute_get_no_errors_and_lose_no_writes()
    {
        var (host, connectionString) = await SharedPostgres.CreateDatabaseAsync("load");
        NeenaServerProcess? server = null;
        try
        {
            var key = await NeenaServerProcess.CreateApiKeyAsync(connectionString, "load@example.com");
            server = await Servers.StartAsync(connectionString, "load", output);
            using var api = new NeenaClient(server.BaseUrl, key, maxConnections: 128, timeout: TimeSpan.FromSeconds(90));
            var echo = await api.TaskDefinitionIdAsync("Echo");
            var flow = await api.CreateFlowAsync("load flow", [new FlowOperation(0, "echo", echo, new JsonObject { ["message"] = "load" })], []);
            var request = await api.CreateFlowRequestAsync("load test seed request");
            var seedRuns = await NeenaClient.ForEachAsync(Enumerable.Range(0, 20).ToList(), 8, (_, _) => api.CreateRunAsync(flow, request, approved: true));

            var statuses = new ConcurrentDictionary<string, int>();
            var failures = new ConcurrentQueue<string>();
            var requests = new ConcurrentQueue<(Guid Id, string Instructions)>();
            var runs = new ConcurrentQueue<Guid>();
            var approved = new ConcurrentQueue<Guid>();
            var clock = Stopwatch.StartNew();

            async Task<HttpResponseMessage?> Send(string kind, Func<Task<HttpResponseMessage>> send)
            {
                try
                {
                    var response = await send();
                    statuses.AddOrUpdate($"{kind} {(int)response.StatusCode}", 1, (_, n) => n + 1);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        failures.Enqueue($"{kind} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                        response.Dispose();
                        return null;
                    }
                    return response;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    statuses.AddOrUpdate($"{kind} exception", 1, (_, n) => n + 1);
                    failures.Enqueue($"{kind} threw {e.GetType().Name}: {e.Message}");
                    return null;
                }
            }

            var workers = Enumerable.Range(0, Clients).Select(worker => Task.Run(async () =>
            {
                var random = new Random(worker);
                var mine = new Queue<Guid>();
                var n = 0;
                while (clock.Elapsed < Duration && n++ < 100_000)
                {
                    var roll = random.Next(100);
                    if (roll < 35)
                    {
                        var run = seedRuns[random.Next(seedRuns.Length)];
                        using var r = await Send("GET run", () => api.Http.GetAsync($"api/v1/flow_runs/?id={run}"));
                    }
                    else if (roll < 45)
                    {
                        using var r = await Send("GET runs", () => api.Http.GetAsync("api/v1/flow_runs/all?limit=20"));
                    }
                    else if (roll < 55)
                    {
                        using var r = await Send("GET requests", () => api.Http.GetAsync("api/v1/flow_requests/all?limit=20"));
                    }
                    else if (roll < 75)
                    {
                        var text = $"load request {worker}-{n}";
                        using var r = await Send("POST request", () => api.Http.PostAsync("api/v1/flow_requests/", NeenaClient.Json(NeenaClient.FlowRequestBody(text))));
                        if (r is not null)
                            requests.Enqueue((NeenaClient.IdOf(JsonNode.Parse(await r.Content.ReadAsStringAsync())!), text));
                    }
                    else if (roll < 90 || mine.Count == 0)
                    {
                        using var r = await Send("POST run", () => api.Http.PostAsync("api/v1/flow_runs/", NeenaClient.Json(NeenaClient.RunBody(flow, request, false))));
                        if (r is not null)
                        {
                            var id = NeenaClient.IdOf(JsonNode.Parse(await r.Content.ReadAsStringAsync())!);
                            runs.Enqueue(id);
                            mine.Enqueue(id);
                        }
                    }
                    else
                    {
                        var id = mine.Dequeue();
                        using var r = await Send("PUT approve", () => api.ApproveAsync(id));
                        if (r is not null)
                            approved.Enqueue(id);
                    }
                }
            })).ToList();
            await Task.WhenAll(workers);
            var total = statuses.Values.Sum();
            output.WriteLine($"{total} requests in {clock.Elapsed.TotalSeconds:F0} s ({total / clock.Elapsed.TotalSeconds:F0}/s): " +
                             string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));

            Assert.DoesNotContain(statuses.Keys, k => k.EndsWith(" exception", StringComparison.Ordinal) || k.Split(' ')[^1].StartsWith('5'));
            Assert.True(failures.IsEmpty, $"{failures.Count} failed requests, e.g. {string.Join(" | ", failures.Take(5))}");
            Assert.True(!requests.IsEmpty && !runs.IsEmpty && !approved.IsEmpty, "The mix produced no writes.");

            // Every acknowledged write is there, as written.
            var approvedSet = approved.ToHashSet();
            var lostRequests = await NeenaClient.ForEachAsync(requests.ToList(), 16, async (written, _) =>
            {
                using var response = await api.Http.GetAsync($"api/v1/flow_requests/?id={written.Id}");
                if (response.StatusCode != HttpStatusCode.OK)
                    return $"flow request {written.Id}: {(int)response.StatusCode}";
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                return body["request_instructions"]!.GetValue<string>() == written.Instructions ? null : $"flow request {written.Id}: wrong instructions";
            });
            var lostRuns = await NeenaClient.ForEachAsync(runs.ToList(), 16, async (id, _) =>
            {
                using var response = await api.Http.GetAsync($"api/v1/flow_runs/?id={id}");
                if (response.StatusCode != HttpStatusCode.OK)
                    return $"flow run {id}: {(int)response.StatusCode}";
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                var approval = body["approval_status"]?.GetValue<string>();
                return approvedSet.Contains(id) == (approval == "approved") ? null : $"flow run {id}: approval_status {approval ?? "null"}";
            });
            var lost = lostRequests.Concat(lostRuns).Where(l => l is not null).ToList();
            output.WriteLine($"verified {requests.Count} flow requests, {runs.Count} runs ({approvedSet.Count} approved)");
            Assert.True(lost.Count == 0, $"{lost.Count} acknowledged writes are missing or wrong, e.g. {string.Join(" | ", lost.Take(5))}");
        }
        finally
        {
            if (server is not null)
                await server.DisposeAsync();
            await host.DropDatabaseAsync(connectionString);
        }
    }
}
