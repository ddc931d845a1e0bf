using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Engine;

public sealed class EngineExecutionTests(EngineFactory factory) : IClassFixture<EngineFactory>
{
    private Task<Guid> Definition(string integration, string task) => factory.TaskDefinitionIdAsync(integration, task);

    [Fact]
    public async Task Linear_flow_completes_with_preparation_results_and_flow_result()
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await Definition("core", "Echo");
        var compose = await Definition("core", "Compose Text");
        var flow = await CreateFlowAsync(client, "linear",
        [
            new Op(0, echo, new { message = "hello" }),
            new Op(1, compose, new { template = "{m}, world", values = new { m = "{{tasks.0.result.message}}" } }, "greet the world"),
            new Op(2, echo, new { message = "{{tasks.1.result.text}}!" }),
        ], [(0, 1), (1, 2)]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(run));
        Assert.NotNull(run["end_time"]);
        foreach (var index in new[] { 0, 1, 2 })
        {
            var task = TaskRun(run, index);
            Assert.Equal(RunStatus.Completed, Status(task));
            Assert.Equal(1, task["attempt"]!.GetValue<int>());
            Assert.NotNull(task["start_time"]);
            Assert.NotNull(task["end_time"]);
            Assert.Equal(2, task["task_prep_prompt"]!["messages"]!.AsArray().Count);
            Assert.NotEmpty(task["task_prep_answer"]!["parameters"]!.AsArray());
            Assert.NotNull(task["result"]);
        }
        Assert.Equal("hello, world", TaskRun(run, 1)["result"]!["text"]!.GetValue<string>());
        Assert.Equal("hello, world!", TaskRun(run, 2)["result"]!["message"]!.GetValue<string>());
        Assert.Contains("greet the world", TaskRun(run, 1)["task_prep_prompt"]!["messages"]![1]!["content"]!.GetValue<string>());
        // Tasks ran in dependency order.
        Assert.True(Time(TaskRun(run, 0), "end_time") <= Time(TaskRun(run, 1), "start_time"));
        Assert.True(Time(TaskRun(run, 1), "end_time") <= Time(TaskRun(run, 2), "start_time"));

        var withResult = await (await client.GetAsync($"/api/v1/flow_runs/with_flow_result?id={runId}")).ReadJsonAsync();
        var body = JsonNode.Parse(withResult["flow_result"]!["body"]!.GetValue<string>())!;
        Assert.Equal("completed", body["status"]!.GetValue<string>());
        Assert.Equal("hello, world!", body["outputs"]!["2"]!["result"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Diamond_branches_run_concurrently()
    {
        var (client, _) = await ClientAsync(factory);
        var wait = await Definition("core", "Wait");
        var echo = await Definition("core", "Echo");
        var flow = await CreateFlowAsync(client, "diamond",
        [
            new Op(0, wait, new { seconds = 0 }),
            new Op(1, wait, new { seconds = 2 }),
            new Op(2, wait, new { seconds = 2 }),
            new Op(3, echo, new { message = "joined" }),
        ], [(0, 1), (0, 2), (1, 3), (2, 3)]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(run));
        var left = TaskRun(run, 1);
        var right = TaskRun(run, 2);
        // The two 2-second branches overlap: each started before the other ended.
        Assert.True(Time(left, "start_time") < Time(right, "end_time"));
        Assert.True(Time(right, "start_time") < Time(left, "end_time"));
        Assert.True(Time(TaskRun(run, 3), "start_time") >= Time(left, "end_time"));
        Assert.True(Time(TaskRun(run, 3), "start_time") >= Time(right, "end_time"));
    }

    [Fact]
    public async Task A_failing_task_fails_the_run_and_cancels_what_can_no_longer_run()
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await Definition("core", "Echo");
        var raise = await Definition("core", "Raise Error");
        var flow = await CreateFlowAsync(client, "failing",
        [
            new Op(0, echo, new { message = "start" }),
            new Op(1, raise, new { message = "boom" }),
            new Op(2, echo, new { message = "never" }),
        ], [(0, 1), (1, 2)]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Failed, Status(run));
        Assert.Equal(RunStatus.Completed, Status(TaskRun(run, 0)));
        var failed = TaskRun(run, 1);
        Assert.Equal(RunStatus.Failed, Status(failed));
        Assert.Equal("boom", failed["error"]!.GetValue<string>());
        Assert.Equal(1, failed["attempt"]!.GetValue<int>()); // not transient: no retry
        var cancelled = TaskRun(run, 2);
        Assert.Equal(RunStatus.Cancelled, Status(cancelled));
        Assert.NotNull(cancelled["end_time"]);
        Assert.Null(cancelled["result"]);
        // A cancelled task says why: which task's failure ended the run.
        Assert.Equal("Cancelled: task 1 (op1) failed", cancelled["error"]!.GetValue<string>());

        var withResult = await (await client.GetAsync($"/api/v1/flow_runs/with_flow_result?id={runId}")).ReadJsonAsync();
        var body = JsonNode.Parse(withResult["flow_result"]!["body"]!.GetValue<string>())!;
        Assert.Equal("failed", body["status"]!.GetValue<string>());
        Assert.Equal("boom", body["errors"]![0]!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_required_parameter_nobody_can_fill_fails_the_task_with_its_name()
    {
        var (client, _) = await ClientAsync(factory);
        var compose = await Definition("core", "Compose Text");
        var flow = await CreateFlowAsync(client, "unfillable", [new Op(0, compose)]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Failed, Status(run));
        var task = TaskRun(run, 0);
        Assert.Contains("required parameter 'template'", task["error"]!.GetValue<string>());
        Assert.Equal(1, task["attempt"]!.GetValue<int>());
        Assert.NotNull(task["task_prep_prompt"]);
    }

    [Fact]
    public async Task Transient_errors_are_retried_until_the_task_succeeds()
    {
        await using var server = await CountingServer.StartAsync();
        var (client, _) = await ClientAsync(factory);
        var http = await Definition("http", "HTTP Request");
        var key = Guid.NewGuid().ToString("N");
        var flow = await CreateFlowAsync(client, "flaky", [new Op(0, http, new { method = "GET", url = server.Url($"/flaky/{key}") })]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(run));
        var task = TaskRun(run, 0);
        Assert.Equal(2, task["attempt"]!.GetValue<int>());
        Assert.Equal(200, task["result"]!["status_code"]!.GetValue<int>());
        Assert.True(task["result"]!["json"]!["ok"]!.GetValue<bool>());
        Assert.Null(task["error"]);
        Assert.Equal(2, server.Hits[$"flaky/{key}"]);
    }

    [Fact]
    public async Task Engine_OutputJsonbCannotStore_FailsTheTaskOnceWithAClearError()
    {
        await using var server = await CountingServer.StartAsync();
        var (client, _) = await ClientAsync(factory);
        var http = await Definition("http", "HTTP Request");
        var flow = await CreateFlowAsync(client, "nul output", [new Op(0, http, new { method = "GET", url = server.Url("/nul") })]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Failed, Status(run));
        var task = TaskRun(run, 0);
        Assert.Equal(RunStatus.Failed, Status(task));
        Assert.Equal(1, task["attempt"]!.GetValue<int>());
        Assert.Contains("cannot be stored", task["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("NUL", task["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(task["result"]);
    }

    [Fact]
    public async Task Bindings_of_every_kind_resolve_and_keep_json_types()
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await Definition("core", "Echo");
        var flow = await CreateFlowAsync(client, "bindings",
        [
            new Op(0, echo, new { message = "first", data = new { n = 42, nested = new { list = new[] { "a", "b" } } } }),
            new Op(1, echo, new
            {
                message = "{{request.name}}|{{request.instructions}}|{{request.metadata.channel}}|{{tasks.0.result.data.nested.list.1}}",
                data = new { whole = "{{tasks.0.result.data}}", number = "{{tasks.0.result.data.n}}", text = "n={{tasks.0.result.data.n}}", literal = true },
            }),
            new Op(2, echo), // nothing bound: message comes from the request metadata by name
        ], [(0, 1), (1, 2)]);
        var request = await CreateRequestAsync(client, flow, "Bind every kind of value", "binder",
            new object[] { new { channel = "#ops" }, new { channel = "#ignored", message = "from metadata" } });
        var runId = await CreateRunAsync(client, flow, request);

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(run));
        var second = TaskRun(run, 1)["result"]!;
        Assert.Equal("binder|Bind every kind of value|#ops|b", second["message"]!.GetValue<string>());
        var data = second["data"]!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"n":42,"nested":{"list":["a","b"]}}"""), data["whole"]));
        Assert.Equal(System.Text.Json.JsonValueKind.Number, data["number"]!.GetValueKind());
        Assert.Equal(42, data["number"]!.GetValue<int>());
        Assert.Equal("n=42", data["text"]!.GetValue<string>());
        Assert.True(data["literal"]!.GetValue<bool>());

        var third = TaskRun(run, 2);
        Assert.Equal("from metadata", third["result"]!["message"]!.GetValue<string>());
        var answer = third["task_prep_answer"]!["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "message")!;
        Assert.Equal("request metadata key 'message'", answer["explanation"]!.GetValue<string>());
    }

    [Fact]
    public async Task Engine_BoundWaitLongerThanTheTaskTimeout_FailsTheTaskAtOnceWithAClearError()
    {
        var (client, _) = await ClientAsync(factory);
        var wait = await Definition("core", "Wait");
        var flow = await CreateFlowAsync(client, "bound wait", [new Op(0, wait, new { seconds = "{{request.metadata.seconds}}" })]);
        var request = await CreateRequestAsync(client, flow, metadata: new object[] { new { seconds = 400 } });
        var runId = await CreateRunAsync(client, flow, request);

        var run = await WaitForRunAsync(client, runId, timeout: TimeSpan.FromSeconds(30));

        Assert.Equal(RunStatus.Failed, Status(run));
        var task = TaskRun(run, 0);
        Assert.Equal(1, task["attempt"]!.GetValue<int>()); // an input problem: not retried
        Assert.Contains("is 400 s, more than the engine's time limit of 300 s", task["error"]!.GetValue<string>());
        Assert.True(Time(task, "end_time") - Time(task, "start_time") < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Cancelling_a_run_stops_its_running_task_and_the_engine_never_overwrites_it()
    {
        await using var server = await CountingServer.StartAsync();
        var (client, tenant) = await ClientAsync(factory);
        var http = await Definition("http", "HTTP Request");
        var echo = await Definition("core", "Echo");
        var key = Guid.NewGuid().ToString("N");
        // A call that would last 30 s: only the engine's cancellation can end it early.
        var flow = await CreateFlowAsync(client, "cancellable",
            [new Op(0, http, new { url = server.Url($"/slow/{key}?seconds=30"), timeout_seconds = 60 }), new Op(1, echo, new { message = "after" })], [(0, 1)]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));
        var id = Guid.Parse(runId);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (server.Active(key) == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.Equal(1, server.Active(key)); // the engine is executing the task

        var cancel = await client.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={runId}", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var cancelledAt = DateTime.UtcNow;
        TaskRun written;
        await using (var db = factory.CreateDbContext())
            written = await db.TaskRuns.IgnoreQueryFilters().AsNoTracking().SingleAsync(t => t.FlowRunId == id && t.TaskOperationIndex == 0);

        // The engine interrupted the call itself, promptly: the endpoint saw the request aborted, long before its 30 s.
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (server.Executions.All(e => e.Key != key) && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        var execution = Assert.Single(server.Executions, e => e.Key == key);
        Assert.True(execution.Aborted, "the call ran to its end: the engine did not stop the task");
        Assert.True(execution.End - cancelledAt < TimeSpan.FromSeconds(5), $"the call was stopped {execution.End - cancelledAt} after the cancellation");

        // Once the engine has let go of the run, nothing it did after the cancellation reached the database.
        var engine = HostedEngine(factory);
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (engine.IsWorkingOn(id) && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.False(engine.IsWorkingOn(id), "the engine kept working on a cancelled run");
        await Task.Delay(200);
        await using (var db = factory.CreateDbContext())
        {
            var stored = await db.TaskRuns.IgnoreQueryFilters().AsNoTracking().SingleAsync(t => t.FlowRunId == id && t.TaskOperationIndex == 0);
            Assert.Equal(RunStatus.Cancelled, stored.Status);
            Assert.Null(stored.Result);
            Assert.Equal("Cancelled by " + tenant.Email, stored.Error); // who cancelled it
            Assert.Equal(written.ModifiedDate, stored.ModifiedDate); // the engine wrote nothing over the API's cancellation
            Assert.Equal(written.EndTime, stored.EndTime);
            Assert.Equal(written.Attempt, stored.Attempt);
            var run = await db.FlowRuns.IgnoreQueryFilters().AsNoTracking().SingleAsync(r => r.Id == id);
            Assert.Equal(RunStatus.Cancelled, run.Status);
            Assert.Null(run.LeaseOwner);
            var result = await db.FlowResults.IgnoreQueryFilters().AsNoTracking().SingleAsync(r => r.FlowRunId == id);
            Assert.Equal("cancelled", JsonNode.Parse(result.Body)!["status"]!.GetValue<string>());
            var pending = await db.TaskRuns.IgnoreQueryFilters().AsNoTracking().SingleAsync(t => t.FlowRunId == id && t.TaskOperationIndex == 1);
            Assert.Equal(RunStatus.Cancelled, pending.Status);
            Assert.Equal("Cancelled by " + tenant.Email, pending.Error);
        }
    }

    [Fact]
    public async Task Approved_runs_start_promptly_through_notifications_although_polling_is_a_minute()
    {
        await HostedEngine(factory).Listening.WaitAsync(TimeSpan.FromSeconds(30));
        var (client, _) = await ClientAsync(factory);
        var echo = await Definition("core", "Echo");
        var flow = await CreateFlowAsync(client, "prompt", [new Op(0, echo, new { message = "now" })]);

        var started = DateTime.UtcNow;
        var pending = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow), approved: false);
        await Task.Delay(500);
        Assert.Equal(RunStatus.Pending, Status(await GetRunAsync(client, pending)));
        var approve = await client.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={pending}", null);
        Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
        var direct = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var first = await WaitForRunAsync(client, pending, timeout: TimeSpan.FromSeconds(20));
        var second = await WaitForRunAsync(client, direct, timeout: TimeSpan.FromSeconds(20));
        Assert.Equal(RunStatus.Completed, Status(first));
        Assert.Equal(RunStatus.Completed, Status(second));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "runs must not wait for the 60 s poll");
    }

    [Fact]
    public async Task The_listener_reconnects_after_its_connection_is_killed_and_runs_still_start_promptly()
    {
        await HostedEngine(factory).Listening.WaitAsync(TimeSpan.FromSeconds(30));
        await using (var connection = new Npgsql.NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var kill = new Npgsql.NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'neena-listener' AND datname = current_database()",
                connection);
            Assert.True((long)(await kill.ExecuteScalarAsync())! >= 1);
        }

        var (client, _) = await ClientAsync(factory);
        var echo = await Definition("core", "Echo");
        var flow = await CreateFlowAsync(client, "after reconnect", [new Op(0, echo, new { message = "again" })]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        // Polling is a minute: only the re-established listener (or its catch-up claim) can start the run this soon.
        var run = await WaitForRunAsync(client, runId, timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(RunStatus.Completed, Status(run));
    }
}
