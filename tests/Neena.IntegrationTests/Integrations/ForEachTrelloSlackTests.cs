using System.Net;
using System.Text.Json.Nodes;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;
using static Neena.IntegrationTests.Engine.FlowsDecideEngineTests;

namespace Neena.IntegrationTests.Integrations;

/// <summary>Issue 20's acceptance: Trello Get Cards in List → for_each card → {{item.name}} contains urgent → Slack Send Message.</summary>
public sealed class ForEachTrelloSlackTests(PlatformEngineFactory factory) : IClassFixture<PlatformEngineFactory>
{
    private static async Task<string> TrelloPostAsync(HttpClient trello, string url)
    {
        var response = await trello.PostAsync(url, null);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync())["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task ForEachCard_WithAnItemCondition_PostsOnlyTheUrgentCards_AndTheOthersAreSkipped()
    {
        var (client, _) = await ClientAsync(factory);
        var account = factory.Trello.AddAccount();
        var app = factory.Slack.AddApp();
        var channel = factory.Slack.AddChannel("support-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var (integration, fields) in new[] { ("trello", account.CredentialFields()), ("slack", app.CredentialFields()) })
        {
            var stored = await client.PostJsonAsync("/api/v1/integration_credentials/", new { integration_short_name = integration, name = integration, credentials = fields });
            Assert.True(stored.StatusCode == HttpStatusCode.OK, await stored.Content.ReadAsStringAsync());
        }
        using var trello = new HttpClient { BaseAddress = new Uri(factory.Trello.BaseUrl) };
        var auth = $"key={account.ApiKey}&token={account.Token}";
        var board = await TrelloPostAsync(trello, $"boards/?name=Support&{auth}");
        var inbox = await TrelloPostAsync(trello, $"lists?name=Inbox&idBoard={board}&{auth}");
        string[] names = ["urgent: printer on fire", "coffee order", "Server down, urgent", "lunch menu"];
        foreach (var name in names)
            await TrelloPostAsync(trello, $"cards?idList={inbox}&name={Uri.EscapeDataString(name)}&{auth}");

        var getCards = await factory.TaskDefinitionIdAsync("trello", "Get Cards in List");
        var send = await factory.TaskDefinitionIdAsync("slack", "Send Message");
        var post = Operation(1, send, new JsonObject { ["channel"] = channel, ["text"] = "Urgent card {{item_index}}: {{item.name}}" });
        post["for_each"] = "{{tasks.0.result}}";
        var flow = await CreateDecidingFlowAsync(client, "urgent cards to slack",
            [Operation(0, getCards, new JsonObject { ["list_id"] = inbox }), post],
            [Edge(0, 1, Test("{{item.name}}", "contains", "urgent"))]);
        var runId = await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow));

        var run = await WaitForRunAsync(client, runId);

        Assert.Equal(RunStatus.Completed, Status(run));
        var texts = factory.Slack.Messages(channel).Select(m => m.Text).ToList();
        Assert.Equal(["Urgent card 0: urgent: printer on fire", "Urgent card 2: Server down, urgent"], texts.Order(StringComparer.Ordinal).ToList());
        var task = TaskRun(run, 1);
        var items = task["items"]!.AsArray();
        Assert.Equal([RunStatus.Completed, TaskRunStatus.Skipped, RunStatus.Completed, TaskRunStatus.Skipped], items.Select(i => Status(i!)).ToList());
        Assert.All(items.Where(i => Status(i!) == TaskRunStatus.Skipped), i => Assert.Null(i!["result"]));
        var result = task["result"]!.AsArray();
        Assert.Equal(4, result.Count);
        Assert.Null(result[1]);
        Assert.Null(result[3]);
        Assert.NotNull(result[0]!["ts"]);

        // The same answer on the root surface, with the API key.
        var legacy = factory.CreateClient();
        legacy.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;
        var root = await (await legacy.GetAsync($"/flow_runs/?id={runId}")).ReadJsonAsync();
        Assert.Equal(4, root["task_runs"]![1]!["items"]!.AsArray().Count);
        Assert.Null(root["task_runs"]![0]!["items"]);
    }
}
