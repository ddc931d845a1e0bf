using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Neena.Domain.FlowRuns;
using Neena.Engine;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Engine;

/// <summary>
/// The server with its engine, tuned so that retries are quick and the HTTP task may call 127.0.0.1. Polling is set to a
/// minute, so runs that start within seconds prove that notifications wake the engine.
/// </summary>
public class EngineFactory : NeenaFactory
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Engine:PollIntervalSeconds"] = "60",
        ["Engine:RetryBaseDelayMilliseconds"] = "50",
        ["Engine:ShutdownGraceSeconds"] = "1",
        ["Integrations:Http:AllowedNetworks:0"] = "127.0.0.1/32",
    };
}

/// <summary>A flow operation as the API takes it.</summary>
public sealed record Op(int Index, Guid Definition, object? Parameters = null, string? Instruction = null);

public static class EngineTestSupport
{
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    public static async Task<(HttpClient Client, TestTenant Tenant)> ClientAsync(NeenaFactory factory)
    {
        var tenant = await factory.CreateTenantAsync();
        return (factory.ClientWithBearer(tenant.ApiKey), tenant);
    }

    public static async Task<string> CreateFlowAsync(HttpClient client, string name, IEnumerable<Op> operations, IEnumerable<(int Source, int Target)>? dependencies = null)
    {
        var response = await client.PostJsonAsync("/api/v1/flows/", new
        {
            name,
            task_operations = operations.Select(o => new { name = $"op{o.Index}", task_definition = o.Definition, index = o.Index, parameters = o.Parameters, instruction = o.Instruction }).ToArray(),
            dependencies = (dependencies ?? []).Select(d => new { source_task_operation = d.Source, target_task_operation = d.Target }).ToArray(),
        });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync())["id"]!.GetValue<string>();
    }

    public static async Task<string> CreateRequestAsync(HttpClient client, string flowId, string instructions = "Please run this flow now", string? name = null, object? metadata = null)
    {
        var response = await client.PostJsonAsync("/api/v1/flow_requests/", new
        {
            request_instructions = instructions,
            request_name = name,
            request_metadata = metadata ?? Array.Empty<object>(),
            flow = flowId,
        });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync())["id"]!.GetValue<string>();
    }

    /// <summary>Creates a run; approved at once unless <paramref name="approved"/> is false.</summary>
    public static async Task<string> CreateRunAsync(HttpClient client, string flowId, string requestId, bool approved = true)
    {
        var response = await client.PostJsonAsync("/api/v1/flow_runs/", approved
            ? new { flow = flowId, flow_request = requestId, approval_status = "approved" }
            : (object)new { flow = flowId, flow_request = requestId });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync())["id"]!.GetValue<string>();
    }

    public static async Task<JsonNode> GetRunAsync(HttpClient client, string runId)
    {
        var response = await client.GetAsync($"/api/v1/flow_runs/?id={runId}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.ReadJsonAsync();
    }

    /// <summary>Polls the run until <paramref name="condition"/> holds (default: the run is finished); fails after a generous timeout.</summary>
    public static async Task<JsonNode> WaitForRunAsync(HttpClient client, string runId, Func<JsonNode, bool>? condition = null, TimeSpan? timeout = null)
    {
        condition ??= run => RunStatus.IsFinished(run["status"]!.GetValue<string>());
        var deadline = DateTime.UtcNow + (timeout ?? RunTimeout);
        JsonNode run;
        do
        {
            run = await GetRunAsync(client, runId);
            if (condition(run))
                return run;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"Run {runId} did not reach the expected state in time; last seen: {run.ToJsonString()}");
        return run;
    }

    public static JsonNode TaskRun(JsonNode run, int index) =>
        run["task_runs"]!.AsArray().Single(t => t!["task_operation_index"]!.GetValue<int>() == index)!;

    public static string Status(JsonNode node) => node["status"]!.GetValue<string>();

    public static DateTime Time(JsonNode node, string field) => node[field]!.GetValue<DateTime>().ToUniversalTime();

    /// <summary>The engine the host runs (hosted service).</summary>
    public static FlowRunEngine HostedEngine(NeenaFactory factory) =>
        factory.Services.GetServices<IHostedService>().OfType<FlowRunEngine>().Single();
}

/// <summary>One execution of a task as the endpoint it called saw it.</summary>
public sealed record Execution(string Key, DateTime Start, DateTime End, bool Aborted);

/// <summary>
/// A Kestrel server on 127.0.0.1 that counts requests per path; <c>/flaky/{key}</c> fails with 500 on its first call;
/// <c>/script/{key}?steps=</c> plays a script of answers, one per call;
/// <c>/slow/{key}?seconds=</c> answers after a while and records each execution, and every overlap: a request for a key
/// while another for the same key is still being served (two executions of one task at the same time).
/// </summary>
public sealed class CountingServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _hits = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _active = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<Execution> _executions = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _overlaps = new();

    private CountingServer(WebApplication app) => _app = app;

    public Uri BaseUri { get; private set; } = null!;

    public IReadOnlyDictionary<string, int> Hits => _hits;

    /// <summary>Finished executions of <c>/slow/{key}</c>, in the order they ended.</summary>
    public IReadOnlyList<Execution> Executions => _executions.ToArray();

    public IReadOnlyList<string> Overlaps => _overlaps.ToArray();

    /// <summary>Requests of <c>/slow/{key}</c> being served right now.</summary>
    public int Active(string key) => _active.GetValueOrDefault(key);

    public string Url(string path) => new Uri(BaseUri, path).ToString();

    public static async Task<CountingServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new CountingServer(app);
        app.MapGet("/hit/{*key}", (string key) =>
        {
            var count = server._hits.AddOrUpdate(key, 1, (_, n) => n + 1);
            return Results.Json(new { key, count });
        });
        // JSON that is valid but that PostgreSQL jsonb cannot store (an escaped U+0000).
        app.MapGet("/nul", () => Results.Text("{\"text\":\"a\\u0000b\"}", "application/json"));
        app.MapGet("/flaky/{key}", (string key) =>
        {
            var count = server._hits.AddOrUpdate("flaky/" + key, 1, (_, n) => n + 1);
            return count == 1 ? Results.StatusCode(500) : Results.Json(new { ok = true, count });
        });
        app.MapGet("/script/{key}", (Delegate)server.ScriptAsync);
        app.MapPost("/slow/{key}", (Delegate)server.SlowAsync);
        app.MapGet("/slow/{key}", (Delegate)server.SlowAsync);
        app.Urls.Add("http://127.0.0.1:0");
        await app.StartAsync();
        server.BaseUri = new Uri(app.Urls.First());
        return server;
    }

    /// <summary>The n-th call of a key plays the n-th of <paramref name="steps"/> (comma-separated): <c>slow</c> (until aborted), a status code, or <c>ok</c>.</summary>
    private async Task<IResult> ScriptAsync(HttpContext context, string key, string steps)
    {
        var call = _hits.AddOrUpdate("script/" + key, 1, (_, n) => n + 1);
        var plan = steps.Split(',');
        var step = plan[Math.Min(call, plan.Length) - 1];
        if (step == "slow")
        {
            await Task.Delay(TimeSpan.FromMinutes(2), context.RequestAborted);
            return Results.Ok();
        }
        return step == "ok" ? Results.Json(new { key, call }) : Results.StatusCode(int.Parse(step, System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task<IResult> SlowAsync(HttpContext context, string key, double seconds)
    {
        _hits.AddOrUpdate("slow/" + key, 1, (_, n) => n + 1);
        var start = DateTime.UtcNow;
        if (_active.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
            _overlaps.Enqueue($"{key} started at {start:O} while another execution of it was running");
        var aborted = false;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds), context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            aborted = true; // the caller gave up: this execution ends here
        }
        finally
        {
            _active.AddOrUpdate(key, 0, (_, n) => n - 1);
            _executions.Enqueue(new Execution(key, start, DateTime.UtcNow, aborted));
        }
        return Results.Json(new { key, seconds });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
