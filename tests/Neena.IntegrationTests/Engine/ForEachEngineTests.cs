using System.Net;
using System.Text.Json.Nodes;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;
using static Neena.IntegrationTests.Engine.FlowsDecideEngineTests;

namespace Neena.IntegrationTests.Engine;

/// <summary>Issue 20's for_each: one call per item with {{item…}}, durable items, the ordered result, the limits, retry.</summary>
public sealed class ForEachEngineTests(EngineFactory factory) : IClassFixture<EngineFactory>
{
    private async Task<(HttpClient Client, string RunId)> RunEchoForEachAsync(object items, string forEach = "{{request.metadata.items}}")
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var each = Operation(0, echo, new JsonObject { ["message"] = "{{item_index}}: {{item.name}}" });
        each["for_each"] = forEach;
        var flow = await CreateDecidingFlowAsync(client, "for each", [each], []);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow, metadata: new[] { new { items } }));
        return (client, runId);
    }

    [Fact]
    public async Task ForEach_OverRequestMetadata_RunsOncePerItem_AndTheResultIsTheItemResultsInOrder()
    {
        var names = Enumerable.Range(0, 12).Select(i => new { name = $"card {i}" }).ToArray();
        var (client, runId) = await RunEchoForEachAsync(names);

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(run));
        var task = TaskRun(run, 0);
        var result = task["result"]!.AsArray();
        Assert.Equal(names.Length, result.Count);
        for (var i = 0; i < names.Length; i++)
            Assert.Equal($"{i}: card {i}", result[i]!["message"]!.GetValue<string>());
        var items = task["items"]!.AsArray();
        Assert.Equal(names.Length, items.Count);
        Assert.All(items.Select((item, i) => (item!, i)), x =>
        {
            Assert.Equal(x.i, x.Item1["index"]!.GetValue<int>());
            Assert.Equal(RunStatus.Completed, Status(x.Item1));
            Assert.Equal(1, x.Item1["attempt"]!.GetValue<int>());
            Assert.Equal($"{x.i}: card {x.i}", x.Item1["result"]!["message"]!.GetValue<string>());
            Assert.Null(x.Item1["error"]);
        });
    }

    [Fact]
    public async Task ForEach_OverAnEmptyArray_CompletesWithAnEmptyResult()
    {
        var (client, runId) = await RunEchoForEachAsync(Array.Empty<object>());

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(run));
        Assert.Empty(TaskRun(run, 0)["result"]!.AsArray());
        Assert.Empty(TaskRun(run, 0)["items"]!.AsArray());
    }

    [Fact]
    public async Task ForEach_OverAValueThatIsNotAnArray_FailsTheTaskClearly()
    {
        var (client, runId) = await RunEchoForEachAsync(new { name = "not a list" });

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Failed, Status(run));
        Assert.Equal("for_each: {{request.metadata.items}} is not a JSON array (it is object).", TaskRun(run, 0)["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task ForEach_OverMoreItemsThanTheLimit_FailsTheTaskClearly()
    {
        var (client, runId) = await RunEchoForEachAsync(Enumerable.Range(0, 1001).ToArray());

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Failed, Status(run));
        Assert.Equal("for_each: {{request.metadata.items}} has 1001 items, more than the 1000 a task may have (Engine:MaxForEachItems).",
            TaskRun(run, 0)["error"]!.GetValue<string>());
        Assert.Empty(TaskRun(run, 0)["items"]!.AsArray());
    }

    [Fact]
    public async Task Retry_OfAFailedForEach_RunsOnlyTheItemsThatDidNotComplete()
    {
        await using var server = await CountingServer.StartAsync();
        var (client, _) = await ClientAsync(factory);
        var http = await factory.TaskDefinitionIdAsync("http", "HTTP Request");
        var key = Guid.NewGuid().ToString("N");
        // Item 2 fails transiently (500) on every attempt of the first run (retried with the backoff, then failed for good)
        // and succeeds on the next call; the others answer at once.
        var urls = Enumerable.Range(0, 5)
            .Select(i => i == 2 ? server.Url($"/script/{key}-2?steps=500,500,500,ok") : server.Url($"/hit/{key}/{i}"))
            .ToArray();
        var each = Operation(0, http, new JsonObject { ["method"] = "GET", ["url"] = "{{item}}" });
        each["for_each"] = "{{request.metadata.urls}}";
        var flow = await CreateDecidingFlowAsync(client, "retry items", [each], []);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow, metadata: new[] { new { urls } }));

        var failed = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Failed, Status(failed));
        Assert.StartsWith("for_each item 2 failed:", TaskRun(failed, 0)["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(RunStatus.Failed, Status(TaskRun(failed, 0)["items"]![2]!));
        Assert.Equal(3, TaskRun(failed, 0)["items"]![2]!["attempt"]!.GetValue<int>());

        var response = await client.PutAsync($"/api/v1/flow_runs/retry?flow_run_id={runId}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var done = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(done));
        Assert.Equal(4, server.Hits[$"script/{key}-2"]);
        var calledBefore = TaskRun(failed, 0)["items"]!.AsArray().Where(i => Status(i!) == RunStatus.Completed).Select(i => i!["index"]!.GetValue<int>()).ToList();
        foreach (var i in new[] { 0, 1, 3, 4 })
            Assert.True(server.Hits.GetValueOrDefault($"{key}/{i}") == 1, $"item {i} was called {server.Hits.GetValueOrDefault($"{key}/{i}")} times");
        Assert.NotEmpty(calledBefore);
        Assert.Equal(5, TaskRun(done, 0)["result"]!.AsArray().Count);
        Assert.All(TaskRun(done, 0)["items"]!.AsArray(), i => Assert.Equal(RunStatus.Completed, Status(i!)));
    }
}
