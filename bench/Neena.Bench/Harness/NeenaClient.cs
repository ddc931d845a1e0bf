using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Neena.Harness;

/// <summary>One task operation of a flow to create: its index, task definition and literal parameter bindings.</summary>
public sealed record FlowOperation(int Index, string Name, Guid TaskDefinition, JsonObject? Parameters = null);

/// <summary>A thin client of the Neena API (v1 surface, API key as a bearer token) for benchmarks and reliability tests.</summary>
public sealed class NeenaClient : IDisposable
{
    public NeenaClient(Uri baseUrl, string apiKey, int maxConnections = 256, TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            UseCookies = false,
            UseProxy = false,
        };
        Http = new HttpClient(handler) { BaseAddress = baseUrl, Timeout = timeout ?? TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    }

    public HttpClient Http { get; }

    public void Dispose() => Http.Dispose();

    public static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    public async Task<JsonNode> GetJsonAsync(string path, CancellationToken cancellationToken = default)
    {
        using var response = await Http.GetAsync(path, cancellationToken);
        return await ReadOkAsync(response, $"GET {path}", cancellationToken);
    }

    public async Task<JsonNode> PostJsonAsync(string path, JsonNode body, CancellationToken cancellationToken = default)
    {
        using var response = await Http.PostAsync(path, Json(body), cancellationToken);
        return await ReadOkAsync(response, $"POST {path}", cancellationToken);
    }

    public static async Task<JsonNode> ReadOkAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken = default)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new HttpRequestException($"{what} answered {(int)response.StatusCode}: {text}", null, response.StatusCode);
        return JsonNode.Parse(text) ?? throw new HttpRequestException($"{what} answered an empty body.");
    }

    /// <summary>The id of the (non-deleted) task definition named <paramref name="taskName"/>.</summary>
    public async Task<Guid> TaskDefinitionIdAsync(string taskName)
    {
        var all = await GetJsonAsync("api/v1/task_definitions/all?limit=1000");
        var match = all.AsArray().FirstOrDefault(t => t!["task_name"]!.GetValue<string>() == taskName && t["deleted_at"] is null)
            ?? throw new InvalidOperationException($"No task definition named '{taskName}'.");
        return Guid.Parse(match["id"]!.GetValue<string>());
    }

    public async Task<Guid> CreateFlowAsync(string name, IReadOnlyList<FlowOperation> operations, IReadOnlyList<(int Source, int Target)> dependencies)
    {
        var ops = new JsonArray();
        foreach (var op in operations)
        {
            var node = new JsonObject
            {
                ["name"] = op.Name,
                ["task_definition"] = op.TaskDefinition.ToString(),
                ["index"] = op.Index,
            };
            if (op.Parameters is not null)
                node["parameters"] = op.Parameters.DeepClone();
            ops.Add(node);
        }
        var deps = new JsonArray();
        foreach (var (source, target) in dependencies)
            deps.Add(new JsonObject { ["source_task_operation"] = source, ["target_task_operation"] = target });
        var flow = await PostJsonAsync("api/v1/flows/", new JsonObject { ["name"] = name, ["task_operations"] = ops, ["dependencies"] = deps });
        return IdOf(flow);
    }

    /// <summary>A linear chain 0 → 1 → … → n-1.</summary>
    public static IReadOnlyList<(int Source, int Target)> Chain(int count) =>
        Enumerable.Range(0, Math.Max(0, count - 1)).Select(i => (i, i + 1)).ToList();

    public static JsonObject FlowRequestBody(string instructions) => new() { ["request_instructions"] = instructions };

    public async Task<Guid> CreateFlowRequestAsync(string instructions, CancellationToken cancellationToken = default) =>
        IdOf(await PostJsonAsync("api/v1/flow_requests/", FlowRequestBody(instructions), cancellationToken));

    public static JsonObject RunBody(Guid flow, Guid flowRequest, bool approved)
    {
        var body = new JsonObject { ["flow"] = flow.ToString(), ["flow_request"] = flowRequest.ToString() };
        if (approved)
            body["approval_status"] = "approved";
        return body;
    }

    public async Task<Guid> CreateRunAsync(Guid flow, Guid flowRequest, bool approved = false, CancellationToken cancellationToken = default) =>
        IdOf(await PostJsonAsync("api/v1/flow_runs/", RunBody(flow, flowRequest, approved), cancellationToken));

    public static string ApprovePath(Guid runId) => $"api/v1/flow_runs/approve?flow_run_id={runId}";

    public Task<HttpResponseMessage> ApproveAsync(Guid runId, CancellationToken cancellationToken = default) =>
        Http.PutAsync(ApprovePath(runId), null, cancellationToken);

    public Task<JsonNode> GetRunAsync(Guid runId, CancellationToken cancellationToken = default) =>
        GetJsonAsync($"api/v1/flow_runs/?id={runId}", cancellationToken);

    public static Guid IdOf(JsonNode node) => Guid.Parse(node["id"]!.GetValue<string>());

    public static bool IsFinal(string status) => status is "completed" or "failed" or "cancelled";

    /// <summary>Runs <paramref name="action"/> over <paramref name="items"/> with at most <paramref name="concurrency"/> at once.</summary>
    public static async Task<TResult[]> ForEachAsync<TItem, TResult>(IReadOnlyList<TItem> items, int concurrency, Func<TItem, int, Task<TResult>> action)
    {
        var results = new TResult[items.Count];
        var next = -1;
        var workers = Enumerable.Range(0, Math.Max(1, Math.Min(concurrency, items.Count))).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < items.Count)
                results[i] = await action(items[i], i);
        });
        await Task.WhenAll(workers);
        return results;
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
