using System.Net;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Engine;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Integrations;

/// <summary>The platform stand-ins with the engine running: tasks act with the organization's stored credential.</summary>
public sealed class PlatformEngineFactory : PlatformFactory
{
    protected override IDictionary<string, string?> ExtraSettings
    {
        get
        {
            var settings = base.ExtraSettings;
            settings["Engine:Enabled"] = "true";
            settings["Engine:RetryBaseDelayMilliseconds"] = "50";
            settings["Engine:ShutdownGraceSeconds"] = "1";
            return settings;
        }
    }
}

public sealed class TrelloFlowTests(PlatformEngineFactory factory) : IClassFixture<PlatformEngineFactory>
{
    private async Task<string> TrelloFlowAsync(HttpClient client)
    {
        var createBoard = await factory.TaskDefinitionIdAsync("trello", "Create Board");
        var createList = await factory.TaskDefinitionIdAsync("trello", "Create List");
        var createCard = await factory.TaskDefinitionIdAsync("trello", "Create Card");
        var addComment = await factory.TaskDefinitionIdAsync("trello", "Add Comment to Card");
        return await CreateFlowAsync(client, "board, list, card, comment",
        [
            new Op(0, createBoard, new { name = "Launch" }),
            new Op(1, createList, new { board_id = "{{tasks.0.result.id}}", name = "Today" }),
            new Op(2, createCard, new { list_id = "{{tasks.1.result.id}}", name = "{{request.metadata.card}}" }),
            new Op(3, addComment, new { card_id = "{{tasks.2.result.id}}", text = "Created by Neena" }),
        ], [(0, 1), (1, 2), (2, 3)]);
    }

    [Fact]
    public async Task Run_TrelloFlowWithStoredCredential_ActsOnTrelloAndNeverShowsTheSecret()
    {
        var (client, _) = await ClientAsync(factory);
        var account = factory.Trello.AddAccount();
        var stored = await client.PostJsonAsync("/api/v1/integration_credentials/",
            new { integration_short_name = "trello", name = "Ada's Trello", credentials = account.CredentialFields() });
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        var flow = await TrelloFlowAsync(client);
        var request = await CreateRequestAsync(client, flow, "Put today's launch card on Trello", metadata: new object[] { new { card = "Ship it" } });

        var run = await WaitForRunAsync(client, await CreateRunAsync(client, flow, request));

        Assert.Equal(RunStatus.Completed, Status(run));
        var card = Assert.Single(factory.Trello.Cards(), c => c["name"]!.GetValue<string>() == "Ship it");
        Assert.Equal(TaskRun(run, 2)["result"]!["id"]!.GetValue<string>(), card["id"]!.GetValue<string>());
        Assert.Equal(card["id"]!.GetValue<string>(), TaskRun(run, 3)["result"]!["card_id"]!.GetValue<string>());
        var everything = run.ToJsonString() + (await client.GetStringAsync($"/api/v1/flow_runs/with_flow_result?id={run["id"]}"));
        Assert.DoesNotContain(account.Token, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(account.ApiKey, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(account.Token, factory.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_TrelloTaskWithoutCredential_FailsOnceWithNoCredential()
    {
        var (client, _) = await ClientAsync(factory);
        var flow = await TrelloFlowAsync(client);
        var request = await CreateRequestAsync(client, flow, "Put today's launch card on Trello", metadata: new object[] { new { card = "Nope" } });

        var run = await WaitForRunAsync(client, await CreateRunAsync(client, flow, request));

        Assert.Equal(RunStatus.Failed, Status(run));
        var first = TaskRun(run, 0);
        Assert.Equal("No credential for integration 'trello'", first["error"]!.GetValue<string>());
        Assert.Equal(1, first["attempt"]!.GetValue<int>());
    }
}
