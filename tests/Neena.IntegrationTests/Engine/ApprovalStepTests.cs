using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;
using static Neena.IntegrationTests.Engine.FlowsDecideEngineTests;

namespace Neena.IntegrationTests.Engine;

/// <summary>One engine slot: a run waiting at an approval step must not hold it.</summary>
public sealed class OneRunEngineFactory : EngineFactory
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>(base.ExtraSettings)
    {
        ["Engine:MaxConcurrentRuns"] = "1",
    };
}

/// <summary>
/// Issue 20's approval steps end to end, through HTTP: the task run waits holding no engine slot, approve_task and
/// reject_task answer it (exactly one of concurrent answers wins), a timeout fails it, approvers and organizations are
/// enforced, analytics shows the run PAUSED, and a retry asks again.
/// </summary>
public sealed class ApprovalStepTests(OneRunEngineFactory factory) : IClassFixture<OneRunEngineFactory>
{
    private async Task<string> ApprovalFlowAsync(HttpClient client, JsonObject approval)
    {
        var approvalDefinition = await factory.TaskDefinitionIdAsync("core", "Approval");
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        return await CreateDecidingFlowAsync(client, "approval",
            [Operation(0, approvalDefinition, approval), Operation(1, echo, new JsonObject { ["message"] = "approved by {{tasks.0.result.by}}" })],
            [Edge(0, 1)]);
    }

    private static async Task<(string RunId, string TaskRunId)> WaitingRunAsync(HttpClient client, string flow)
    {
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));
        var run = await WaitForRunAsync(client, runId, r => Status(TaskRun(r, 0)) == TaskRunStatus.Waiting);
        Assert.Equal(RunStatus.InProgress, Status(run));
        Assert.NotNull(TaskRun(run, 0)["start_time"]);
        return (runId, TaskRun(run, 0)["id"]!.GetValue<string>());
    }

    private static Task<HttpResponseMessage> AnswerAsync(HttpClient client, string verb, string taskRunId, object? body = null, string prefix = "/api/v1") =>
        client.PutAsJsonAsync($"{prefix}/flow_runs/{verb}_task?task_run_id={taskRunId}", body ?? new { });

    [Fact]
    public async Task AWaitingRun_HoldsNoSlot_AnotherRunCompletes_ThenTheApprovalCompletesIt()
    {
        var (client, tenant) = await ClientAsync(factory);
        var flow = await ApprovalFlowAsync(client, new JsonObject { ["message"] = "Send it?", ["approvers"] = new JsonArray(tenant.Email.ToUpperInvariant()) });
        var (runA, taskRun) = await WaitingRunAsync(client, flow);

        var analytics = await (await client.GetAsync($"/api/v1/analytics/org/{tenant.OrganizationId}/flows/{flow}")).ReadJsonAsync();
        Assert.Equal("PAUSED", analytics.AsArray().Single(r => r!["run_id"]!.GetValue<string>() == runA)!["state"]!.GetValue<string>());
        var summary = await (await client.GetAsync($"/api/v1/analytics/org/{tenant.OrganizationId}/summary?flow_id={flow}")).ReadJsonAsync();
        Assert.Equal(1, summary["counts"]!["PAUSED"]!.GetValue<long>());

        // With one engine slot, B can only run if A gave its slot back.
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var other = await CreateFlowAsync(client, "other", [new Op(0, echo, new { message = "B" })]);
        var runB = await WaitForRunAsync(client, await CreateRunAsync(client, other, await CreateRequestAsync(client, other)));
        Assert.Equal(RunStatus.Completed, Status(runB));
        Assert.Equal(TaskRunStatus.Waiting, Status(TaskRun(await GetRunAsync(client, runA), 0)));

        var approved = await AnswerAsync(client, "approve", taskRun, new { comment = "Checked the amount with the customer; go ahead." });
        Assert.True(approved.StatusCode == HttpStatusCode.OK, await approved.Content.ReadAsStringAsync());
        Assert.Equal(runA, (await approved.ReadJsonAsync())["id"]!.GetValue<string>());

        var run = await WaitForRunAsync(client, runA);
        Assert.Equal(RunStatus.Completed, Status(run));
        var result = TaskRun(run, 0)["result"]!;
        Assert.True(result["approved"]!.GetValue<bool>());
        Assert.Equal(tenant.Email, result["by"]!.GetValue<string>());
        Assert.NotNull(result["at"]);
        Assert.Equal("Checked the amount with the customer; go ahead.", result["comment"]!.GetValue<string>());
        Assert.Equal($"approved by {tenant.Email}", TaskRun(run, 1)["result"]!["message"]!.GetValue<string>());

        var again = await AnswerAsync(client, "approve", taskRun);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.NotNull(await again.DetailAsync());
    }

    [Fact]
    public async Task ARejection_FailsTheRun_AndARetryAsksAgain()
    {
        var (client, tenant) = await ClientAsync(factory);
        var flow = await ApprovalFlowAsync(client, new JsonObject { ["message"] = "Send it?" });
        var (runId, taskRun) = await WaitingRunAsync(client, flow);

        var rejected = await AnswerAsync(client, "reject", taskRun);
        Assert.True(rejected.StatusCode == HttpStatusCode.OK, await rejected.Content.ReadAsStringAsync());

        var run = await WaitForRunAsync(client, runId);
        Assert.Equal(RunStatus.Failed, Status(run));
        Assert.Equal($"Rejected by {tenant.Email}", TaskRun(run, 0)["error"]!.GetValue<string>());
        Assert.Equal($"Rejected by {tenant.Email}", run["failed_task"]!["error"]!.GetValue<string>());
        Assert.Equal(RunStatus.Cancelled, Status(TaskRun(run, 1)));
        var withResult = await (await client.GetAsync($"/api/v1/flow_runs/with_flow_result?id={runId}")).ReadJsonAsync();
        Assert.Contains($"Rejected by {tenant.Email}", withResult["flow_result"]!["body"]!.GetValue<string>(), StringComparison.Ordinal);

        var retried = await client.PutAsync($"/api/v1/flow_runs/retry?flow_run_id={runId}", null);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        var waitingAgain = await WaitForRunAsync(client, runId, r => Status(TaskRun(r, 0)) == TaskRunStatus.Waiting);
        Assert.Equal(RunStatus.InProgress, Status(waitingAgain));

        // Cancelling the waiting run cancels its step.
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync($"/api/v1/flow_runs/cancel?flow_run_id={runId}", null)).StatusCode);
        Assert.Equal(RunStatus.Cancelled, Status(TaskRun(await GetRunAsync(client, runId), 0)));
        Assert.Equal(HttpStatusCode.Conflict, (await AnswerAsync(client, "approve", taskRun)).StatusCode);
    }

    [Fact]
    public async Task ConcurrentAnswers_ExactlyOneWins()
    {
        var (client, _) = await ClientAsync(factory);
        var flow = await ApprovalFlowAsync(client, new JsonObject { ["message"] = "Send it?" });
        for (var round = 0; round < 3; round++)
        {
            var (runId, taskRun) = await WaitingRunAsync(client, flow);
            var answers = await Task.WhenAll(
                AnswerAsync(client, "approve", taskRun), AnswerAsync(client, "approve", taskRun), AnswerAsync(client, "reject", taskRun));
            Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
            Assert.Equal(2, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
            Assert.True(RunStatus.IsFinished(Status(await WaitForRunAsync(client, runId))));
        }
    }

    [Fact]
    public async Task ATimeout_FailsTheStep()
    {
        var (client, _) = await ClientAsync(factory);
        var flow = await ApprovalFlowAsync(client, new JsonObject { ["message"] = "Quick!", ["timeout_seconds"] = 1 });
        var (runId, taskRun) = await WaitingRunAsync(client, flow);

        var run = await WaitForRunAsync(client, runId, timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(RunStatus.Failed, Status(run));
        Assert.Equal(ApprovalSteps.TimedOut, TaskRun(run, 0)["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, (await AnswerAsync(client, "approve", taskRun)).StatusCode);
    }

    [Fact]
    public async Task OnlyListedApprovers_OnlyTheOrganization_AndTheRootSurface()
    {
        var (client, tenant) = await ClientAsync(factory);
        var listed = await ApprovalFlowAsync(client, new JsonObject { ["message"] = "Send it?", ["approvers"] = new JsonArray("someone.else@example.com") });
        var (_, notMine) = await WaitingRunAsync(client, listed);
        var forbidden = await AnswerAsync(client, "approve", notMine);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Contains(tenant.Email, await forbidden.DetailAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await AnswerAsync(client, "reject", notMine)).StatusCode);

        var open = await ApprovalFlowAsync(client, new JsonObject { ["message"] = "Send it?" });
        var (runId, taskRun) = await WaitingRunAsync(client, open);
        var (stranger, _) = await ClientAsync(factory);
        Assert.Equal(HttpStatusCode.NotFound, (await AnswerAsync(stranger, "approve", taskRun)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await AnswerAsync(client, "approve", Guid.NewGuid().ToString())).StatusCode);
        var tooLong = await AnswerAsync(client, "approve", taskRun, new { comment = new string('x', ApprovalSteps.MaxCommentLength + 1) });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooLong.StatusCode);
        Assert.Contains("body.comment", await tooLong.ErrorLocationsAsync());

        // The root surface with the api_key header, and no body at all.
        var root = factory.ClientWithApiKeyHeader(tenant.ApiKey);
        var approved = await root.PutAsync($"/flow_runs/approve_task?task_run_id={taskRun}", null);
        Assert.True(approved.StatusCode == HttpStatusCode.OK, await approved.Content.ReadAsStringAsync());
        var run = await WaitForRunAsync(client, runId);
        Assert.Equal(RunStatus.Completed, Status(run));
        Assert.Null(TaskRun(run, 0)["result"]!["comment"]);
    }

    [Fact]
    public async Task SavingAFlow_ChecksTheApprovalParameters()
    {
        var (client, _) = await ClientAsync(factory);
        var approval = await factory.TaskDefinitionIdAsync("core", "Approval");
        var response = await client.PostJsonAsync("/api/v1/flows/", new JsonObject
        {
            ["name"] = "bad approvals",
            ["task_operations"] = new JsonArray(
                Operation(0, approval, new JsonObject { ["approvers"] = new JsonArray("not an email") }),
                Operation(1, approval, new JsonObject { ["message"] = "ok", ["timeout_seconds"] = 0 }),
                new JsonObject { ["name"] = "no parameters", ["task_definition"] = approval.ToString(), ["index"] = 2 }),
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var locations = await response.ErrorLocationsAsync();
        Assert.Contains("body.task_operations.0.parameters.message", locations);
        Assert.Contains("body.task_operations.0.parameters.approvers.0", locations);
        Assert.Contains("body.task_operations.1.parameters.timeout_seconds", locations);
        Assert.Contains("body.task_operations.2.parameters.message", locations);

        var catalogue = await (await client.GetAsync("/api/v1/task_definitions/all?limit=1000")).ReadJsonAsync();
        Assert.Contains(catalogue.AsArray(), t => t!["task_name"]!.GetValue<string>() == "Approval");
    }
}
