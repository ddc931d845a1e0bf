using System.Net;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Engine;

/// <summary><c>PUT /flow_runs/retry</c> with the engine: a failed run resumes where it stopped.</summary>
public sealed class RetryTests(EngineFactory factory) : IClassFixture<EngineFactory>
{
    [Fact]
    public async Task Retry_FailedRun_ResumesAtTheFailedTask_CompletedTaskNotRunAgain()
    {
        await using var server = await CountingServer.StartAsync();
        var (client, _) = await ClientAsync(factory);
        var legacy = factory.CreateClient();
        legacy.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;
        var http = await factory.TaskDefinitionIdAsync("http", "HTTP Request");
        var key = Guid.NewGuid().ToString("N");
        // The second task fails on its first three calls (every attempt the engine makes), then succeeds.
        var flow = await CreateFlowAsync(client, "retry me",
        [
            new Op(0, http, new { method = "GET", url = server.Url($"/hit/{key}/first") }),
            new Op(1, http, new { method = "GET", url = server.Url($"/script/{key}?steps=500,500,500,ok") }),
            new Op(2, http, new { method = "GET", url = server.Url($"/hit/{key}/third") }),
        ], [(0, 1), (1, 2)]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var failed = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Failed, Status(failed));
        Assert.Equal(1, failed["failed_task"]!["index"]!.GetValue<int>());
        Assert.Equal("op1", failed["failed_task"]!["name"]!.GetValue<string>());
        Assert.Contains("500", failed["failed_task"]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(failed["duration_ms"]!.GetValue<long>() >= 0);
        Assert.Equal(RunStatus.Cancelled, Status(TaskRun(failed, 2)));
        Assert.Equal(3, TaskRun(failed, 1)["attempt"]!.GetValue<int>());
        Assert.NotNull(TaskRun(failed, 0)["duration_ms"]);
        var firstResult = await (await client.GetAsync($"/api/v1/flow_runs/with_flow_result?id={runId}")).ReadJsonAsync();

        var response = await legacy.PutAsync($"/flow_runs/retry?flow_run_id={runId}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var retried = await response.ReadJsonAsync();
        Assert.Equal(1, retried["retry_count"]!.GetValue<int>());
        var done = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(done));
        Assert.Null(done["failed_task"]);
        Assert.All(done["task_runs"]!.AsArray(), t => Assert.Equal(RunStatus.Completed, Status(t!)));
        Assert.Equal(1, TaskRun(done, 0)["attempt"]!.GetValue<int>());
        Assert.Equal(4, TaskRun(done, 1)["attempt"]!.GetValue<int>());
        Assert.Equal(1, server.Hits[$"{key}/first"]);
        Assert.Equal(4, server.Hits[$"script/{key}"]);
        Assert.Equal(1, server.Hits[$"{key}/third"]);
        var rewritten = await (await legacy.GetAsync($"/flow_runs/with_flow_result?id={runId}")).ReadJsonAsync();
        Assert.Equal(firstResult["flow_result"]!["id"]!.GetValue<string>(), rewritten["result"]!["id"]!.GetValue<string>());
        Assert.Contains("\"status\":\"completed\"", rewritten["result"]!["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PutAsync($"/api/v1/flow_runs/retry?flow_run_id={runId}", null)).StatusCode);
    }
}
