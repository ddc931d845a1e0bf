using System.Net;
using System.Text.Json.Nodes;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;
using static Neena.IntegrationTests.Engine.FlowsDecideEngineTests;

namespace Neena.IntegrationTests.Engine;

/// <summary>
/// Issue 20 after the fact: retrying a run that skipped and tolerated, the status and error bindings in parameters, and
/// what the flow result says about tolerated failures and skips.
/// </summary>
public sealed class FlowsDecideRetryTests(EngineFactory factory) : IClassFixture<EngineFactory>
{
    private Task<Guid> Definition(string integration, string task) => factory.TaskDefinitionIdAsync(integration, task);

    /// <summary>A lookup that fails for good (private address refused by the guard), tolerated, with a fallback and a normal branch.</summary>
    private async Task<string> FallbackFlowAsync(HttpClient client, string fallbackMessage)
    {
        var echo = await Definition("core", "Echo");
        var http = await Definition("http", "HTTP Request");
        var lookup = Operation(0, http, new JsonObject { ["method"] = "GET", ["url"] = "http://10.0.0.1/lookup" });
        lookup["continue_on_failure"] = true;
        return await CreateDecidingFlowAsync(client, "fallback",
        [
            lookup,
            Operation(1, echo, new JsonObject { ["message"] = fallbackMessage }),
            Operation(2, echo, new JsonObject { ["message"] = "normal" }),
        ],
        [
            Edge(0, 1, Test("{{tasks.0.status}}", "eq", "failed")),
            Edge(0, 2, Test("{{tasks.0.status}}", "eq", "completed")),
        ]);
    }

    [Fact]
    public async Task Retry_AfterAToleratedSourceFailedForGood_TheSourceRunsAgain_AndItsBranchesAreDecidedAgain()
    {
        await using var server = await CountingServer.StartAsync();
        var (client, _) = await ClientAsync(factory);
        var legacy = factory.CreateClient();
        legacy.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;
        var echo = await Definition("core", "Echo");
        var http = await Definition("http", "HTTP Request");
        var key = Guid.NewGuid().ToString("N");
        // The source fails on every attempt of the first run (three), and answers once the server is "fixed" (the fourth call).
        var source = Operation(0, http, new JsonObject { ["method"] = "GET", ["url"] = server.Url($"/script/{key}-source?steps=500,500,500,ok") });
        source["continue_on_failure"] = true;
        var flow = await CreateDecidingFlowAsync(client, "retry if else",
        [
            source,
            Operation(1, echo, new JsonObject { ["message"] = "then {{tasks.0.status}}" }),
            // The else branch fails the run the first time (not tolerated).
            Operation(2, http, new JsonObject { ["method"] = "GET", ["url"] = server.Url($"/script/{key}-else?steps=500,500,500,ok") }),
        ],
        [
            Edge(0, 1, Test("{{tasks.0.status}}", "eq", "completed")),
            Edge(0, 2, Test("{{tasks.0.status}}", "eq", "failed")),
        ]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));
        var failed = await WaitForRunAsync(client, runId);
        Assert.Equal(RunStatus.Failed, Status(failed));
        Assert.Equal(RunStatus.Failed, Status(TaskRun(failed, 0)));
        Assert.Equal(TaskRunStatus.Skipped, Status(TaskRun(failed, 1)));
        Assert.Equal(RunStatus.Failed, Status(TaskRun(failed, 2)));
        Assert.NotNull(failed["failed_task"]);

        var response = await legacy.PutAsync($"/flow_runs/retry?flow_run_id={runId}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var done = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(done));
        Assert.Equal(RunStatus.Completed, Status(TaskRun(done, 0)));
        Assert.Equal(RunStatus.Completed, Status(TaskRun(done, 1))); // the skip was decided again from the source's new outcome
        Assert.Equal("then completed", TaskRun(done, 1)["result"]!["message"]!.GetValue<string>());
        Assert.Equal(TaskRunStatus.Skipped, Status(TaskRun(done, 2)));
        Assert.Null(done["failed_task"]);
        Assert.Equal(4, server.Hits[$"script/{key}-source"]);
        Assert.Equal(3, server.Hits[$"script/{key}-else"]); // decided again, not taken: not called
    }

    [Fact]
    public async Task StatusAndErrorBindings_InAFallbacksParameters_ReadTheToleratedFailure()
    {
        var (client, _) = await ClientAsync(factory);
        var flow = await FallbackFlowAsync(client, "lookup {{tasks.0.status}}: {{tasks.0.error}}");
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(run));
        var error = TaskRun(run, 0)["error"]!.GetValue<string>();
        Assert.Equal($"lookup failed: {error}", TaskRun(run, 1)["result"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task FlowResult_OfARunWithAToleratedFailure_NamesIt_AndCountsTheSkippedTasks()
    {
        var (client, tenant) = await ClientAsync(factory);
        var legacy = factory.ClientWithApiKeyHeader(tenant.ApiKey);
        var flow = await FallbackFlowAsync(client, "fallback");
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(run));
        var error = TaskRun(run, 0)["error"]!.GetValue<string>();
        Assert.Equal("op0", run["failed_task"]!["name"]!.GetValue<string>());
        var withResult = await (await legacy.GetAsync($"/flow_runs/with_flow_result?id={runId}")).ReadJsonAsync();
        var body = JsonNode.Parse(withResult["result"]!["body"]!.GetValue<string>())!;
        Assert.Equal("completed", body["status"]!.GetValue<string>());
        Assert.Equal($"Completed with 1 tolerated failure: task 0 (op0): {error.TrimEnd('.')}. 1 task(s) succeeded, 1 skipped.", body["message"]!.GetValue<string>());
        Assert.Equal(TaskRunStatus.Skipped, body["outputs"]!["2"]!["status"]!.GetValue<string>());
        Assert.Equal("fallback", body["outputs"]!["1"]!["result"]!["message"]!.GetValue<string>());
    }
}
