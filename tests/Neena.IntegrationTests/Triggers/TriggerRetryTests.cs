using System.Net;
using Neena.Domain.FlowRuns;
using Neena.Domain.Triggers;
using Neena.IntegrationTests.StandIns;
using Neena.StandIns;
using static Neena.IntegrationTests.Engine.EngineTestSupport;
using static Neena.IntegrationTests.Triggers.WebhookTestSupport;

namespace Neena.IntegrationTests.Triggers;

/// <summary>The webhook server planning with a language model (the OpenAI-compatible stand-in), two attempts per delivery.</summary>
public class ModelWebhookFactory : WebhookFactory
{
    public OpenAiServer Model { get; private set; } = null!;

    protected override IDictionary<string, string?> ExtraSettings
    {
        get
        {
            var settings = base.ExtraSettings;
            settings["LanguageModel:Provider"] = "openai";
            settings["LanguageModel:Endpoint"] = Model.Endpoint;
            settings["LanguageModel:ApiKey"] = Model.ApiKey;
            settings["LanguageModel:Model"] = OpenAiServer.ModelName;
            settings["LanguageModel:TimeoutSeconds"] = "5";
            settings["Webhooks:MaxAttempts"] = "2";
            return settings;
        }
    }

    public override async Task InitializeAsync()
    {
        Model = await OpenAiServer.StartAsync();
        await base.InitializeAsync();
    }

    protected override async Task DisposeResourcesAsync()
    {
        await base.DisposeResourcesAsync();
        await Model.DisposeAsync();
    }
}

/// <summary>Transient failures of processing (the model unavailable) are retried later, a bounded number of times.</summary>
public sealed class TriggerRetryTests(ModelWebhookFactory factory) : IClassFixture<ModelWebhookFactory>
{
    private const string Secret = "whsec_retry";

    [Fact]
    public async Task ModelUnavailableOnce_IsRetriedAfterItsRetryAfter_AndTheDeliveryRuns()
    {
        var (client, tenant) = await ClientAsync(factory);
        var operation = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", "Send a greeting composed from the request's name for <{payload}>", signingSecret: Secret, requiresApproval: false);
        factory.Model.Enqueue(Reply.Fail(503, retryAfterSeconds: 1));

        var response = await factory.CreateClient().SendAsync(PlatformWebhooks.Neena(Path(operation), "{\"name\": \"Ada\"}", Secret));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = await TriggerRunIdAsync(response);
        var triggerRun = await factory.WaitForTriggerRunAsync(id);
        Assert.True(triggerRun.Status == TriggerRunStatus.Completed, triggerRun.Error);
        Assert.Equal(2, triggerRun.Attempts);
        Assert.Null(triggerRun.Error);
        Assert.True(RunStatus.IsFinished(Status(await WaitForRunAsync(client, triggerRun.FlowRunId!.Value.ToString()))));
    }

    [Fact]
    public async Task ModelUnavailableEveryTime_FailsTheTriggerRunAfterItsAttempts()
    {
        var (_, tenant) = await ClientAsync(factory);
        var operation = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", "Send a greeting composed from the request's name for <{payload}>", signingSecret: Secret);
        factory.Model.Enqueue(Reply.Fail(429, retryAfterSeconds: 1));
        factory.Model.Enqueue(Reply.Fail(429, retryAfterSeconds: 1));

        var response = await factory.CreateClient().SendAsync(PlatformWebhooks.Neena(Path(operation), "{\"name\": \"Grace\"}", Secret));

        var triggerRun = await factory.WaitForTriggerRunAsync(await TriggerRunIdAsync(response));
        Assert.Equal(TriggerRunStatus.Failed, triggerRun.Status);
        Assert.StartsWith("Gave up after 2 attempts: The language model is unavailable", triggerRun.Error);
        Assert.Equal(2, triggerRun.Attempts);
        Assert.Equal((1, 0, 0), await factory.RowsAsync(tenant));
    }
}
