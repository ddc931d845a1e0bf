using System.Net;
using Microsoft.AspNetCore.Http;
using Neena.Domain.FlowRuns;
using Neena.Domain.Triggers;
using Neena.IntegrationTests.Infrastructure;
using Neena.IntegrationTests.Triggers;
using Neena.StandIns;
using StandardWebhooks;
using static Neena.IntegrationTests.Engine.EngineTestSupport;
using static Neena.IntegrationTests.Triggers.TriggerTestSupport;
using static Neena.IntegrationTests.Triggers.WebhookTestSupport;

namespace Neena.IntegrationTests.Notifications;

/// <summary>The webhook server with a language model (flows are generated and prepared by it) and quick notification retries.</summary>
public sealed class ModelNotificationFactory : ModelWebhookFactory
{
    protected override IDictionary<string, string?> ExtraSettings
    {
        get
        {
            var settings = base.ExtraSettings;
            settings["Integrations:Http:AllowedNetworks:0"] = "127.0.0.1/32";
            settings["Notifications:RetryBaseDelay"] = "00:00:00.200";
            settings["Notifications:MaxRetryDelay"] = "00:00:01";
            settings["Notifications:PollInterval"] = "00:00:01";
            return settings;
        }
    }
}

/// <summary>
/// The journey of an automatic run (§11): an event on a webhook operation with no fixed flow becomes a generated
/// flow's run that waits for a person, the person is told by a signed notification, approves, and is told it completed.
/// </summary>
public sealed class AutomationApprovalTests(ModelNotificationFactory factory) : IClassFixture<ModelNotificationFactory>, IAsyncLifetime
{
    private const string Path = "/automation";
    private NotificationReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await NotificationReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task AnEventWithoutAFixedFlow_WaitsForApproval_NotifiesSigned_ThenRunsToCompletedAndNotifiesAgain()
    {
        var (client, _) = await ClientAsync(factory);
        var subscription = await client.PostOkAsync("/api/v1/notification_subscriptions/",
            new { url = _receiver.Url(Path), events = new[] { "run.awaiting_approval", "run.completed", "run.failed" } });
        var secret = subscription["secret"]!.GetValue<string>();
        var definition = await factory.TriggerDefinitionIdAsync("core", "Incoming Webhook");
        // No requires_approval given: an operation without a fixed flow requires approval by default.
        var operation = await client.PostOkAsync("/api/v1/webhook_trigger_operations/", new
        {
            name = "greetings",
            webhook_trigger_definition = definition,
            template_body = "Send a greeting composed from the request's name for <{payload}>",
            status = "active",
        });
        Assert.True(operation["requires_approval"]!.GetValue<bool>());
        var operationId = Guid.Parse(operation["id"]!.GetValue<string>());

        var delivery = await factory.CreateClient().SendAsync(
            PlatformWebhooks.Neena(WebhookTestSupport.Path(operationId), """{"name": "Ada"}""", operation["signing_secret"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Accepted, delivery.StatusCode);
        var triggerRun = await factory.WaitForTriggerRunAsync(await TriggerRunIdAsync(delivery));
        Assert.True(triggerRun.Status == TriggerRunStatus.Completed, triggerRun.Error);
        var runId = triggerRun.FlowRunId!.Value.ToString();

        var run = await (await client.GetAsync($"/api/v1/flow_runs/?id={runId}")).ReadJsonAsync();
        Assert.Equal(RunStatus.Pending, Status(run));
        Assert.Null(run["approval_status"]);
        Assert.Equal(RunType.Webhook, run["run_type"]!.GetValue<string>());

        var waiting = await _receiver.WaitForAsync(Path, r => r.Type == "run.awaiting_approval");
        Verify(secret, waiting);
        Assert.Equal(runId, waiting.Json["data"]!["id"]!.GetValue<string>());
        // Nothing runs unseen: no task has started while the run waits.
        Assert.All((await (await client.GetAsync($"/api/v1/flow_runs/?id={runId}")).ReadJsonAsync())["task_runs"]!.AsArray(),
            t => Assert.Null(t!["start_time"]));

        (await client.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={runId}", null)).EnsureSuccessStatusCode();
        var ended = await _receiver.WaitForAsync(Path, r => r.Type is "run.completed" or "run.failed" && r.Json["data"]!["id"]!.GetValue<string>() == runId);
        Verify(secret, ended);
        Assert.True(ended.Type == "run.completed", ended.Body);
        Assert.Equal(RunStatus.Completed, ended.Json["data"]!["status"]!.GetValue<string>());
        Assert.Equal(RunStatus.Completed, Status(await WaitForRunAsync(client, runId)));
        Assert.NotEqual(waiting.WebhookId, ended.WebhookId);
        Assert.DoesNotContain(secret, factory.Logs.All, StringComparison.Ordinal);
    }

    private static void Verify(string secret, ReceivedNotification notification)
    {
        var headers = new HeaderDictionary();
        foreach (var (name, value) in notification.Headers)
            headers[name] = value;
        // The reference library throws unless the signature, id and timestamp are right.
        new StandardWebhook(secret).Verify(notification.Body, headers);
    }
}
