using System.Net;
using System.Text.Json.Nodes;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Engine;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Integrations;

/// <summary>
/// The original's Slack tasks Update Message (chat.update) and Delete Message (chat.delete), run by the engine against
/// the Slack protocol stand-in: each acts on the message an earlier Send Message posted, by the ts bound from its result.
/// </summary>
public sealed class SlackMessageEditFlowTests(PlatformEngineFactory factory) : IClassFixture<PlatformEngineFactory>
{
    private async Task<(HttpClient Client, string Channel)> SlackClientAsync()
    {
        var (client, _) = await ClientAsync(factory);
        var app = factory.Slack.AddApp();
        var stored = await client.PostJsonAsync("/api/v1/integration_credentials/",
            new { integration_short_name = "slack", name = "Slack", credentials = app.CredentialFields() });
        Assert.True(stored.StatusCode == HttpStatusCode.OK, await stored.Content.ReadAsStringAsync());
        return (client, factory.Slack.AddChannel("deploys-" + Guid.NewGuid().ToString("N")[..8]));
    }

    private async Task<JsonNode> RunFlowAsync(HttpClient client, string name, Op[] operations)
    {
        var dependencies = operations.Skip(1).Select(o => (o.Index - 1, o.Index));
        var flow = await CreateFlowAsync(client, name, operations, dependencies);
        return await WaitForRunAsync(client, await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow)));
    }

    [Fact]
    public async Task SendThenUpdateThenDelete_ActsOnThePostedMessage()
    {
        var (client, channel) = await SlackClientAsync();
        var send = await factory.TaskDefinitionIdAsync("slack", "Send Message");
        var update = await factory.TaskDefinitionIdAsync("slack", "Update Message");
        var delete = await factory.TaskDefinitionIdAsync("slack", "Delete Message");

        var updated = await RunFlowAsync(client, "post then edit",
        [
            new Op(0, send, new { channel, text = "Deploy 42 running" }),
            new Op(1, update, new { channel = "{{tasks.0.result.channel}}", ts = "{{tasks.0.result.ts}}", text = "Deploy 42 done" }),
        ]);

        Assert.Equal(RunStatus.Completed, Status(updated));
        var ts = TaskRun(updated, 0)["result"]!["ts"]!.GetValue<string>();
        Assert.Equal(JsonNode.Parse($$"""{"channel":"{{channel}}","ts":"{{ts}}","text":"Deploy 42 done"}"""), TaskRun(updated, 1)["result"], JsonNode.DeepEquals);
        Assert.Equal(["Deploy 42 done"], factory.Slack.Messages(channel).Where(m => m.Ts == ts).Select(m => m.Text));

        var deleted = await RunFlowAsync(client, "post then retract",
        [
            new Op(0, send, new { channel, text = "Wrong channel, sorry" }),
            new Op(1, delete, new { channel = "{{tasks.0.result.channel}}", ts = "{{tasks.0.result.ts}}" }),
        ]);

        Assert.Equal(RunStatus.Completed, Status(deleted));
        var retracted = TaskRun(deleted, 0)["result"]!["ts"]!.GetValue<string>();
        Assert.Equal(JsonNode.Parse($$"""{"channel":"{{channel}}","ts":"{{retracted}}"}"""), TaskRun(deleted, 1)["result"], JsonNode.DeepEquals);
        Assert.Equal([ts], factory.Slack.Messages(channel).Select(m => m.Ts));
    }

    [Fact]
    public async Task UpdateMessage_UnknownTs_FailsTheTaskOnceWithMessageNotFound()
    {
        var (client, channel) = await SlackClientAsync();
        var update = await factory.TaskDefinitionIdAsync("slack", "Update Message");

        var run = await RunFlowAsync(client, "edit a message that never was",
            [new Op(0, update, new { channel, ts = "1600000000.000001", text = "nobody reads this" })]);

        Assert.Equal(RunStatus.Failed, Status(run));
        var task = TaskRun(run, 0);
        Assert.Equal("Slack chat.update failed: message_not_found", task["error"]!.GetValue<string>());
        Assert.Equal(1, task["attempt"]!.GetValue<int>());
        Assert.Empty(factory.Slack.Messages(channel));
    }

    [Fact]
    public async Task DeleteMessage_UnknownChannel_FailsTheTaskWithChannelNotFound()
    {
        var (client, _) = await SlackClientAsync();
        var delete = await factory.TaskDefinitionIdAsync("slack", "Delete Message");

        var run = await RunFlowAsync(client, "delete in a channel that never was",
            [new Op(0, delete, new { channel = "C00000000", ts = "1600000000.000001" })]);

        Assert.Equal(RunStatus.Failed, Status(run));
        Assert.Equal("Slack chat.delete failed: channel_not_found", TaskRun(run, 0)["error"]!.GetValue<string>());
    }
}
