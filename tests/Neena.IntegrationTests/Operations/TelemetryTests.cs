using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Neena.Engine;
using Neena.IntegrationTests.Engine;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Operations;

/// <summary>The server with its engine and the Prometheus scrape endpoint on.</summary>
public sealed class PrometheusFactory : EngineFactory
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>(base.ExtraSettings) { ["Telemetry:Prometheus"] = "true" };
}

public sealed class TelemetryTests(PrometheusFactory factory) : IClassFixture<PrometheusFactory>
{
    [Fact]
    public async Task Metrics_PrometheusOn_ServesEngineAndHttpMetricsWithoutCredentials()
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "measured", [new Op(0, echo, new { message = "m" })]);
        var run = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));
        await WaitForRunAsync(client, run);

        // The exporter caches a scrape for a moment; the engine's counters appear once the run has finished.
        string text = "";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            var response = await factory.CreateClient().GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            text = await response.Content.ReadAsStringAsync();
            if (text.Contains("neena_engine_runs_finished", StringComparison.Ordinal))
                break;
            await Task.Delay(500);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Contains("neena_engine_runs_finished", text);
        Assert.Contains("neena_engine_tasks_finished", text);
        Assert.Contains("http_server_request_duration_seconds", text);
    }

    [Fact]
    public async Task Engine_RunOfTwoTasks_RecordsARunSpanWithATaskSpanPerTask()
    {
        using var spans = new EngineSpans();
        var (client, _) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "traced", [new Op(0, echo, new { message = "a" }), new Op(1, echo, new { message = "b" })], [(0, 1)]);

        var run = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));
        await WaitForRunAsync(client, run);
        var runSpan = await spans.RunSpanAsync(run);
        var taskSpans = spans.Stopped.Where(s => s.OperationName == "task_run" && Equals(s.GetTagItem(EngineTracing.RunIdAttribute), run)).ToList();
        Assert.Equal([0, 1], taskSpans.Select(s => (int)s.GetTagItem(EngineTracing.TaskIndexAttribute)!).Order());
        Assert.All(taskSpans, s => Assert.Equal(runSpan.SpanId, s.ParentSpanId));
        Assert.All(taskSpans, s => Assert.Equal(runSpan.TraceId, s.TraceId));
        Assert.All(taskSpans, s => Assert.Equal("Completed", s.GetTagItem("neena.task_run.outcome")));
    }

    [Fact]
    public async Task Run_ApprovedByATracedRequest_ItsSpanLinksToThatRequestsTrace()
    {
        using var spans = new EngineSpans();
        var (client, _) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "linked", [new Op(0, echo, new { message = "a" })]);
        var run = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow), approved: false);
        var approvalTrace = ActivityTraceId.CreateRandom();
        using var approve = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/flow_runs/approve?flow_run_id={run}");
        approve.Headers.Add("traceparent", $"00-{approvalTrace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(approve)).StatusCode);
        await WaitForRunAsync(client, run);
        var runSpan = await spans.RunSpanAsync(run);
        var link = Assert.Single(runSpan.Links);
        Assert.Equal(approvalTrace, link.Context.TraceId);
        Assert.NotEqual(approvalTrace, runSpan.TraceId);
    }
}

/// <summary>Records the engine's spans as they stop, while it lives.</summary>
internal sealed class EngineSpans : IDisposable
{
    private readonly ActivityListener _listener;

    public EngineSpans()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == EngineTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Stopped.Add,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public ConcurrentBag<Activity> Stopped { get; } = [];

    /// <summary>The run's span, once it has stopped (the run's end is written before its span ends).</summary>
    public async Task<Activity> RunSpanAsync(string run)
    {
        bool IsRun(Activity s) => s.OperationName == "flow_run" && Equals(s.GetTagItem(EngineTracing.RunIdAttribute), run);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!Stopped.Any(IsRun) && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        return Assert.Single(Stopped, IsRun);
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>By default there is no scrape endpoint.</summary>
public sealed class TelemetryOffTests(FlowRuns.EngineOffFactory factory) : IClassFixture<FlowRuns.EngineOffFactory>
{
    [Fact]
    public async Task Metrics_ByDefault_IsNotServed()
    {
        var tenant = await factory.CreateTenantAsync();

        var response = await factory.ClientWithBearer(tenant.ApiKey).GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        // Documented as absent: 404 like any unknown path, for a caller without credentials too (a scraper has none).
        var anonymous = await factory.CreateClient().GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, anonymous.StatusCode);
        Assert.Equal("Not Found", await anonymous.DetailAsync());
    }
}
