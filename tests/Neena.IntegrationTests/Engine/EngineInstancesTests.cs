using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Neena.Domain.FlowRuns;
using Neena.Engine;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Engine;

/// <summary>The server without its own engine: tests start engine instances themselves, as separate servers would.</summary>
public sealed class NoEngineFactory : NeenaFactory
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Engine:Enabled"] = "false",
        ["Integrations:Http:AllowedNetworks:0"] = "127.0.0.1/32",
    };
}

public sealed class EngineInstancesTests(NoEngineFactory factory) : IClassFixture<NoEngineFactory>
{
    private EngineOptions Options(string instance, double leaseSeconds = 30, double pollSeconds = 1) => new()
    {
        InstanceId = instance,
        LeaseSeconds = leaseSeconds,
        PollIntervalSeconds = pollSeconds,
        RetryBaseDelayMilliseconds = 50,
        ShutdownGraceSeconds = 0.2,
    };

    private async Task<FlowRunEngine> StartEngineAsync(EngineOptions options)
    {
        var engine = FlowRunEngine.Create(factory.Services, options);
        await engine.StartAsync(CancellationToken.None);
        await engine.Listening.WaitAsync(TimeSpan.FromSeconds(30));
        return engine;
    }

    private static async Task StopAsync(FlowRunEngine engine)
    {
        await engine.StopAsync(CancellationToken.None);
        engine.Dispose();
    }

    [Fact]
    public async Task Two_engines_execute_200_runs_with_every_task_exactly_once()
    {
        await using var server = await CountingServer.StartAsync();
        var (client, _) = await ClientAsync(factory);
        var http = await factory.TaskDefinitionIdAsync("http", "HTTP Request");
        // Each task calls a URL unique to its run and operation, so the server sees every execution of every task.
        var flow = await CreateFlowAsync(client, "counted",
        [
            new Op(0, http, new { url = server.Url("/hit/{{request.name}}/a") }),
            new Op(1, http, new { url = server.Url("/hit/{{request.name}}/b") }),
            new Op(2, http, new { url = server.Url("/hit/{{request.name}}/c") }),
        ], [(0, 1), (0, 2)]);

        var started = new ConcurrentDictionary<string, int>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EngineMetrics.MeterName && instrument.Name == "neena.engine.runs.started")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "instance" && tag.Value is string instance)
                    started.AddOrUpdate(instance, (int)value, (_, n) => n + (int)value);
            }
        });
        listener.Start();

        var a = await StartEngineAsync(Options("engine-a"));
        var b = await StartEngineAsync(Options("engine-b"));
        try
        {
            var runIds = new ConcurrentBag<string>();
            await Parallel.ForEachAsync(Enumerable.Range(0, 200), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            {
                var request = await CreateRequestAsync(client, flow, "Count the executions", $"run{i}");
                runIds.Add(await CreateRunAsync(client, flow, request));
            });

            foreach (var runId in runIds)
            {
                var run = await WaitForRunAsync(client, runId, timeout: TimeSpan.FromSeconds(120));
                Assert.Equal(RunStatus.Completed, Status(run));
                Assert.All(run["task_runs"]!.AsArray(), t => Assert.Equal(1, t!["attempt"]!.GetValue<int>()));
            }
        }
        finally
        {
            await StopAsync(a);
            await StopAsync(b);
        }

        // Both instances took part (each claims at most 16 runs at a time, so neither can take all 200 alone at once).
        Assert.True(started.GetValueOrDefault("engine-a") > 0 && started.GetValueOrDefault("engine-b") > 0, string.Join(", ", started));
        Assert.Equal(600, server.Hits.Count);
        Assert.All(server.Hits, hit => Assert.Equal(1, hit.Value));
        await using var db = factory.CreateDbContext();
        var flowId = Guid.Parse(flow);
        var results = await db.FlowResults.IgnoreQueryFilters()
            .Join(db.FlowRuns.IgnoreQueryFilters(), r => r.FlowRunId, run => run.Id, (r, run) => run.FlowId)
            .CountAsync(f => f == flowId);
        Assert.Equal(200, results); // exactly one flow result per run
    }

    [Fact]
    public async Task A_crashed_engines_run_is_taken_over_after_its_lease_expires()
    {
        var (client, _) = await ClientAsync(factory);
        var wait = await factory.TaskDefinitionIdAsync("core", "Wait");
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "takeover", [new Op(0, wait, new { seconds = 3 }), new Op(1, echo, new { message = "done" })], [(0, 1)]);

        var crashing = await StartEngineAsync(Options("engine-crashing", leaseSeconds: 3));
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));
        await WaitForRunAsync(client, runId, r => Status(TaskRun(r, 0)) == RunStatus.InProgress);
        await crashing.HaltAsync(); // dies without releasing its lease or touching the task again
        crashing.Dispose();

        await using (var db = factory.CreateDbContext())
        {
            var row = await db.FlowRuns.IgnoreQueryFilters().SingleAsync(r => r.Id == Guid.Parse(runId));
            Assert.Equal("engine-crashing", row.LeaseOwner);
        }

        var survivor = await StartEngineAsync(Options("engine-survivor", leaseSeconds: 3));
        try
        {
            var run = await WaitForRunAsync(client, runId);
            Assert.Equal(RunStatus.Completed, Status(run));
            Assert.Equal(2, TaskRun(run, 0)["attempt"]!.GetValue<int>()); // attempted again after the take-over
            Assert.Equal(1, TaskRun(run, 1)["attempt"]!.GetValue<int>());
        }
        finally
        {
            await StopAsync(survivor);
        }
    }

    [Fact]
    public async Task Stopping_an_engine_hands_its_runs_back_at_once()
    {
        var (client, _) = await ClientAsync(factory);
        var wait = await factory.TaskDefinitionIdAsync("core", "Wait");
        var flow = await CreateFlowAsync(client, "handback", [new Op(0, wait, new { seconds = 5 })]);

        // A long lease: if the run were not released, the second engine could not take it within the test's timeout.
        var first = await StartEngineAsync(Options("engine-first", leaseSeconds: 600));
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));
        await WaitForRunAsync(client, runId, r => Status(TaskRun(r, 0)) == RunStatus.InProgress);
        await StopAsync(first);

        var stopped = await GetRunAsync(client, runId);
        Assert.Equal(RunStatus.InProgress, Status(stopped));
        Assert.Equal(RunStatus.Pending, Status(TaskRun(stopped, 0))); // interrupted by shutdown: pending, not failed
        await using (var db = factory.CreateDbContext())
        {
            var row = await db.FlowRuns.IgnoreQueryFilters().SingleAsync(r => r.Id == Guid.Parse(runId));
            Assert.Null(row.LeaseOwner);
            Assert.Null(row.LeaseExpiresAt);
            Assert.Equal(0, row.ClaimAttempts); // a hand-back in good order does not count against Engine:MaxRunAttempts
        }

        var second = await StartEngineAsync(Options("engine-second", leaseSeconds: 600));
        try
        {
            var run = await WaitForRunAsync(client, runId);
            Assert.Equal(RunStatus.Completed, Status(run));
            Assert.Equal(1, TaskRun(run, 0)["attempt"]!.GetValue<int>()); // the attempt interrupted by the shutdown does not count
        }
        finally
        {
            await StopAsync(second);
        }
    }

    [Fact]
    public async Task Engine_TaskInterruptedByShutdown_KeepsAllItsRetryAttempts()
    {
        await using var server = await CountingServer.StartAsync();
        var (client, _) = await ClientAsync(factory);
        var http = await factory.TaskDefinitionIdAsync("http", "HTTP Request");
        var key = Guid.NewGuid().ToString("N");
        // First call: interrupted by the shutdown. Then 503 (transient), then success: two real attempts, both allowed.
        var flow = await CreateFlowAsync(client, "interrupted", [new Op(0, http, new { url = server.Url($"/script/{key}?steps=slow,503,ok") })]);
        EngineOptions WithTwoAttempts(string instance) { var o = Options(instance, leaseSeconds: 600); o.MaxAttempts = 2; return o; }

        var first = await StartEngineAsync(WithTwoAttempts("engine-interrupted"));
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));
        await WaitForRunAsync(client, runId, _ => server.Hits.GetValueOrDefault($"script/{key}") == 1);
        await StopAsync(first);
        var handedBack = TaskRun(await GetRunAsync(client, runId), 0);
        Assert.Equal(RunStatus.Pending, Status(handedBack));
        Assert.Equal(0, handedBack["attempt"]!.GetValue<int>());

        var second = await StartEngineAsync(WithTwoAttempts("engine-continuing"));
        try
        {
            var run = await WaitForRunAsync(client, runId);
            Assert.Equal(RunStatus.Completed, Status(run));
            Assert.Equal(2, TaskRun(run, 0)["attempt"]!.GetValue<int>());
            Assert.Equal(3, server.Hits[$"script/{key}"]);
        }
        finally
        {
            await StopAsync(second);
        }
    }
}
