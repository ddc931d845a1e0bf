using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Neena.Domain.FlowRuns;
using Neena.Domain.Triggers;
using Neena.IntegrationTests.Engine;
using Neena.IntegrationTests.Infrastructure;
using Neena.IntegrationTests.Triggers;
using StandardWebhooks;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Notifications;

/// <summary>
/// Events reach a local receiver from the real state changes (a pending run, the engine's endings, an approval step, a
/// trigger run that fails for good), signed so that the Standard Webhooks reference library verifies them, retried with
/// the same webhook-id until the receiver answers 2xx, every attempt logged.
/// </summary>
public sealed partial class NotificationTests
{
    private static void Verify(string secret, ReceivedNotification notification)
    {
        var headers = new HeaderDictionary();
        foreach (var (name, value) in notification.Headers)
            headers[name] = value;
        // Throws WebhookVerificationException unless the signature, id and timestamp are right.
        new StandardWebhook(secret).Verify(notification.Body, headers);
        Assert.StartsWith("v1,", notification.Headers["webhook-signature"], StringComparison.Ordinal);
    }

    private static string Path() => "/" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task APendingRun_SendsRunAwaitingApproval_Verified_ThenApprovalLeadsToRunCompleted()
    {
        var (client, _) = await ClientAsync(factory);
        var path = Path();
        var (_, secret) = await SubscribeAsync(client, path, ["run.awaiting_approval", "run.completed"]);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "notify", [new Op(0, echo, new { message = "hi" })]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow), approved: false);

        var waiting = await _receiver.WaitForAsync(path, r => r.Type == "run.awaiting_approval");
        Verify(secret, waiting);
        Assert.Equal(runId, waiting.Json["data"]!["id"]!.GetValue<string>());
        Assert.Equal(RunStatus.Pending, waiting.Json["data"]!["status"]!.GetValue<string>());
        Assert.NotNull(waiting.Json["timestamp"]);
        Assert.StartsWith("application/json", waiting.Headers["content-type"], StringComparison.Ordinal);

        (await client.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={runId}", null)).EnsureSuccessStatusCode();
        var completed = await _receiver.WaitForAsync(path, r => r.Type == "run.completed");
        Verify(secret, completed);
        Assert.Equal(runId, completed.Json["data"]!["id"]!.GetValue<string>());
        Assert.Equal(RunStatus.Completed, completed.Json["data"]!["status"]!.GetValue<string>());
        Assert.NotEqual(waiting.WebhookId, completed.WebhookId);
    }

    [Fact]
    public async Task TheEngineFailingARun_SendsRunFailed_AndOnlyToSubscribersOfIt()
    {
        var (client, _) = await ClientAsync(factory);
        var (path, other) = (Path(), Path());
        var (_, secret) = await SubscribeAsync(client, path, ["run.failed"]);
        await SubscribeAsync(client, other, ["run.completed"]);
        var raise = await factory.TaskDefinitionIdAsync("core", "Raise Error");
        var flow = await CreateFlowAsync(client, "failing", [new Op(0, raise, new { message = "boom" })]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var failed = await _receiver.WaitForAsync(path, r => r.Type == "run.failed");
        Verify(secret, failed);
        Assert.Equal(runId, failed.Json["data"]!["id"]!.GetValue<string>());
        Assert.Equal(RunStatus.Failed, failed.Json["data"]!["status"]!.GetValue<string>());
        Assert.Empty(_receiver.Received(other));
    }

    [Fact]
    public async Task AnApprovalStep_SendsTaskAwaitingApproval()
    {
        var (client, _) = await ClientAsync(factory);
        var path = Path();
        var (_, secret) = await SubscribeAsync(client, path, ["task.awaiting_approval"], surface: "");
        var approval = await factory.TaskDefinitionIdAsync("core", "Approval");
        var flow = await CreateFlowAsync(client, "approve me", [new Op(0, approval, new { message = "Send it?" })]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var asked = await _receiver.WaitForAsync(path, r => r.Type == "task.awaiting_approval");
        Verify(secret, asked);
        Assert.Equal(runId, asked.Json["data"]!["id"]!.GetValue<string>());
        Assert.Equal(TaskRunStatus.Waiting, asked.Json["data"]!["task_runs"]![0]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ATriggerRunThatFailsForGood_SendsTriggerRunFailed()
    {
        var (client, tenant) = await ClientAsync(factory);
        var path = Path();
        var (_, secret) = await SubscribeAsync(client, path, ["trigger_run.failed"]);
        var operation = await TriggerTestSupport.CreateGenericOperationAsync(factory, tenant);
        (await client.DeleteAsync($"/api/v1/webhook_trigger_operations/?id={operation}")).EnsureSuccessStatusCode();
        // A delivery stored just before its operation was deleted: the processor fails it for good.
        var triggerRun = await TriggerTestSupport.InsertTriggerRunAsync(factory, tenant, operation);

        var failed = await _receiver.WaitForAsync(path, r => r.Type == "trigger_run.failed");
        Verify(secret, failed);
        Assert.Equal(triggerRun.Id.ToString(), failed.Json["data"]!["id"]!.GetValue<string>());
        Assert.Equal(TriggerRunStatus.Failed, failed.Json["data"]!["status"]!.GetValue<string>());
        Assert.Contains("deleted", failed.Json["data"]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReceiverFailingThreeTimes_GetsTheSameDeliveryFourTimes_AndTheLogShowsFourAttempts()
    {
        var (client, _) = await ClientAsync(factory);
        var path = Path();
        _receiver.Script(path, 500, 500, 503);
        var (id, secret) = await SubscribeAsync(client, path, ["run.failed"]);

        var ping = await OkAsync(await client.PostAsync($"/api/v1/notification_subscriptions/test?id={id}", null));
        var webhookId = ping["webhook_id"]!.GetValue<string>();
        var delivered = await _receiver.WaitForAsync(path, r => r.Answer == 200);

        var received = _receiver.Received(path);
        Assert.Equal(4, received.Count);
        Assert.All(received, r => Assert.Equal(webhookId, r.WebhookId));
        Assert.All(received, r => Assert.Equal(received[0].Body, r.Body));
        Assert.All(received, r => Verify(secret, r));
        Assert.Equal("ping", delivered.Type);
        Assert.Equal(id, delivered.Json["data"]!["subscription_id"]!.GetValue<string>());

        JsonArray log = [];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (log.Count < 4 && DateTime.UtcNow < deadline)
        {
            log = (await OkAsync(await client.GetAsync($"/api/v1/notification_subscriptions/deliveries?subscription_id={id}"))).AsArray();
            await Task.Delay(50);
        }
        var attempts = log.Reverse().ToList();
        Assert.Equal([1, 2, 3, 4], attempts.Select(a => a!["attempt"]!.GetValue<int>()));
        Assert.Equal(["retrying", "retrying", "retrying", "delivered"], attempts.Select(a => a!["status"]!.GetValue<string>()));
        Assert.Equal([500, 500, 503, 200], attempts.Select(a => a!["response_code"]!.GetValue<int>()));
        Assert.All(attempts, a => Assert.Equal(webhookId, a!["webhook_id"]!.GetValue<string>()));
        Assert.All(attempts, a => Assert.Equal("ping", a!["event_type"]!.GetValue<string>()));
        Assert.All(attempts.Take(3), a => Assert.NotNull(a!["next_attempt"]));
        Assert.Null(attempts[3]!["next_attempt"]);
        Assert.Equal("The receiver answered 500.", attempts[0]!["error"]!.GetValue<string>());
        var paged = (await OkAsync(await client.GetAsync($"/api/v1/notification_subscriptions/deliveries?subscription_id={id}&skip=1&limit=2"))).AsArray();
        Assert.Equal([3, 2], paged.Select(a => a!["attempt"]!.GetValue<int>()));
        Assert.DoesNotContain(secret["whsec_".Length..], factory.Logs.All, StringComparison.Ordinal);
    }
}
