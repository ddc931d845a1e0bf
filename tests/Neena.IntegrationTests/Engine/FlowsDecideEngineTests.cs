using System.Net;
using System.Text.Json.Nodes;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Engine;

/// <summary>Issue 20's engine: conditions on dependencies, joins, skipped task runs and continue_on_failure, end to end.</summary>
public sealed class FlowsDecideEngineTests(EngineFactory factory) : IClassFixture<EngineFactory>
{
    private Task<Guid> Definition(string integration, string task) => factory.TaskDefinitionIdAsync(integration, task);

    internal static JsonObject Test(string left, string op, string right) => new()
    {
        ["any"] = new JsonArray(new JsonObject { ["all"] = new JsonArray(new JsonObject { ["left"] = left, ["op"] = op, ["right"] = right }) }),
    };

    internal static async Task<string> CreateDecidingFlowAsync(HttpClient client, string name, JsonArray operations, JsonArray dependencies)
    {
        var response = await client.PostJsonAsync("/api/v1/flows/", new JsonObject { ["name"] = name, ["task_operations"] = operations, ["dependencies"] = dependencies });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync())["id"]!.GetValue<string>();
    }

    internal static JsonObject Operation(int index, Guid definition, JsonObject parameters) =>
        new() { ["name"] = $"op{index}", ["task_definition"] = definition.ToString(), ["index"] = index, ["parameters"] = parameters };

    internal static JsonObject Edge(int source, int target, JsonObject? condition = null) =>
        new() { ["source_task_operation"] = source, ["target_task_operation"] = target, ["condition"] = condition };

    [Fact]
    public async Task IfElse_MeetingAtAnAnyJoin_RunsTheTakenBranchAndTheJoinOnce_AndSkipsTheOther()
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await Definition("core", "Echo");
        var join = Operation(3, echo, new JsonObject { ["message"] = "joined: {{tasks.1.result.message}}{{tasks.2.result.message}}" });
        join["join"] = "any";
        var flow = await CreateDecidingFlowAsync(client, "if else",
        [
            Operation(0, echo, new JsonObject { ["message"] = "urgent" }),
            Operation(1, echo, new JsonObject { ["message"] = "then {{tasks.0.result.message}}" }),
            Operation(2, echo, new JsonObject { ["message"] = "else {{tasks.0.result.message}}" }),
            join,
        ],
        [
            Edge(0, 1, Test("{{tasks.0.result.message}}", "eq", "urgent")),
            Edge(0, 2, Test("{{tasks.0.result.message}}", "ne", "urgent")),
            Edge(1, 3),
            Edge(2, 3),
        ]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(run));
        Assert.Null(run["failed_task"]);
        Assert.Equal("then urgent", TaskRun(run, 1)["result"]!["message"]!.GetValue<string>());
        var skipped = TaskRun(run, 2);
        Assert.Equal(TaskRunStatus.Skipped, Status(skipped));
        Assert.Equal(0, skipped["attempt"]!.GetValue<int>()); // never started: no preparation, no call
        Assert.Null(skipped["start_time"]);
        Assert.NotNull(skipped["end_time"]);
        Assert.Null(skipped["task_prep_prompt"]);
        Assert.Null(skipped["result"]);
        var joined = TaskRun(run, 3);
        Assert.Equal(RunStatus.Completed, Status(joined));
        Assert.Equal(1, joined["attempt"]!.GetValue<int>());
        Assert.Equal("joined: then urgent", joined["result"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task ContinueOnFailure_TheFailedTaskIsFailed_AStatusConditionRunsTheFallback_AndTheRunCompletes()
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await Definition("core", "Echo");
        var http = await Definition("http", "HTTP Request");
        // A private address outside the allowed test network: the address guard refuses it, a permanent failure.
        var lookup = Operation(0, http, new JsonObject { ["method"] = "GET", ["url"] = "http://10.0.0.1/lookup" });
        lookup["continue_on_failure"] = true;
        var flow = await CreateDecidingFlowAsync(client, "fallback",
        [
            lookup,
            Operation(1, echo, new JsonObject { ["message"] = "fallback" }),
            Operation(2, echo, new JsonObject { ["message"] = "normal" }),
        ],
        [
            Edge(0, 1, Test("{{tasks.0.status}}", "eq", "failed")),
            Edge(0, 2, Test("{{tasks.0.status}}", "eq", "completed")),
        ]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(run));
        var failed = TaskRun(run, 0);
        Assert.Equal(RunStatus.Failed, Status(failed));
        Assert.NotNull(failed["error"]);
        Assert.Equal("fallback", TaskRun(run, 1)["result"]!["message"]!.GetValue<string>());
        Assert.Equal(TaskRunStatus.Skipped, Status(TaskRun(run, 2)));
        Assert.Equal(0, run["failed_task"]!["index"]!.GetValue<int>());
        Assert.Equal(failed["error"]!.GetValue<string>(), run["failed_task"]!["error"]!.GetValue<string>());

        var withResult = await (await client.GetAsync($"/api/v1/flow_runs/with_flow_result?id={runId}")).ReadJsonAsync();
        var body = JsonNode.Parse(withResult["flow_result"]!["body"]!.GetValue<string>())!;
        Assert.Equal("completed", body["status"]!.GetValue<string>());
        Assert.Equal(0, body["errors"]![0]!["task_operation_index"]!.GetValue<int>());
    }

    [Fact]
    public async Task ToleratedFailure_ThenAFailureForGood_TheRunFails_AndFailedTaskNamesTheOneThatStoppedIt()
    {
        var (client, _) = await ClientAsync(factory);
        var http = await Definition("http", "HTTP Request");
        // Private addresses outside the allowed test network: the address guard refuses them, permanent failures.
        var lookup = Operation(0, http, new JsonObject { ["method"] = "GET", ["url"] = "http://10.0.0.1/lookup" });
        lookup["continue_on_failure"] = true;
        // Task 1 follows task 0 only so that both surely fail (a run that failed starts nothing more); its edge is taken
        // after a tolerated failure as after a success.
        var flow = await CreateDecidingFlowAsync(client, "tolerated then failed",
            [lookup, Operation(1, http, new JsonObject { ["method"] = "GET", ["url"] = "http://10.0.0.2/post" })],
            [Edge(0, 1)]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Failed, Status(run));
        Assert.Equal(RunStatus.Failed, Status(TaskRun(run, 0)));
        Assert.Equal(RunStatus.Failed, Status(TaskRun(run, 1)));
        Assert.Equal(1, run["failed_task"]!["index"]!.GetValue<int>());
        Assert.Equal(TaskRun(run, 1)["error"]!.GetValue<string>(), run["failed_task"]!["error"]!.GetValue<string>());
    }
}
