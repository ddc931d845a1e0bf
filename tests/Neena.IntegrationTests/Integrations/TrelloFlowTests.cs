using System.Net;
using Neena.Domain.FlowRuns;
using Neena.IntegrationTests.Engine;
using Neena.IntegrationTests.Infrastructure;
using Neena.StandIns;
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

    private async Task<(TrelloAccount Account, string CredentialId)> StoreTrelloCredentialAsync(HttpClient client, string name)
    {
        var account = factory.Trello.AddAccount(username: name);
        var stored = await client.PostJsonAsync("/api/v1/integration_credentials/",
            new { integration_short_name = "trello", name, credentials = account.CredentialFields() });
        Assert.True(stored.StatusCode == HttpStatusCode.OK, await stored.Content.ReadAsStringAsync());
        return (account, (await stored.ReadJsonAsync())["id"]!.GetValue<string>());
    }

    /// <summary>Two independent Create Board operations: index 0 names <paramref name="credentialId"/>, index 1 names none.</summary>
    private async Task<string> TwoBoardsFlowAsync(HttpClient client, string credentialId, string named, string unnamed)
    {
        var createBoard = await factory.TaskDefinitionIdAsync("trello", "Create Board");
        var response = await client.PostJsonAsync("/api/v1/flows/", new
        {
            name = "two boards",
            task_operations = new object[]
            {
                new { name = "named", task_definition = createBoard, index = 0, parameters = new { name = named }, integration_credential = credentialId },
                new { name = "unnamed", task_definition = createBoard, index = 1, parameters = new { name = unnamed } },
            },
        });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync())["id"]!.GetValue<string>();
    }

    /// <summary>The tokens of the stand-in's board creations named <paramref name="boardName"/>.</summary>
    private List<string?> TokensCreating(string boardName) => factory.Trello.Requests
        .Where(r => r.Method == "POST" && r.Path.StartsWith("/1/boards", StringComparison.Ordinal)
                    && Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(r.Query).TryGetValue("name", out var name) && name == boardName)
        .Select(TrelloServer.TokenOf)
        .ToList();

    [Fact]
    public async Task Run_OperationNamingTheOlderCredential_ActsWithItsToken_AndAnOperationNamingNoneWithTheNewest()
    {
        var (client, _) = await ClientAsync(factory);
        var (older, olderId) = await StoreTrelloCredentialAsync(client, "older");
        var (newer, _) = await StoreTrelloCredentialAsync(client, "newer");
        var named = "Named " + Guid.NewGuid().ToString("N");
        var unnamed = "Unnamed " + Guid.NewGuid().ToString("N");
        var flow = await TwoBoardsFlowAsync(client, olderId, named, unnamed);
        var request = await CreateRequestAsync(client, flow, "Create two Trello boards");

        var run = await WaitForRunAsync(client, await CreateRunAsync(client, flow, request));

        Assert.Equal(RunStatus.Completed, Status(run));
        Assert.Equal([older.Token], TokensCreating(named));
        Assert.Equal([newer.Token], TokensCreating(unnamed));
        Assert.Equal(olderId, TaskRun(run, 0)["integration_credential"]!.GetValue<string>());
        Assert.Null(TaskRun(run, 1)["integration_credential"]);
        var credentials = (await (await client.GetAsync("/api/v1/integration_credentials/all")).ReadJsonAsync()).AsArray();
        Assert.All(credentials, c => Assert.NotNull(c!["last_used_at"]));
    }

    [Fact]
    public async Task Run_NamedCredentialDeletedBeforeTheRun_FailsOnceWithAClearErrorAndNeverFallsBackToTheNewest()
    {
        var (client, _) = await ClientAsync(factory);
        var (older, olderId) = await StoreTrelloCredentialAsync(client, "older");
        // A newer credential the engine could fall back to, and must not.
        await StoreTrelloCredentialAsync(client, "newer");
        var named = "Named " + Guid.NewGuid().ToString("N");
        var flow = await TwoBoardsFlowAsync(client, olderId, named, "Unnamed " + Guid.NewGuid().ToString("N"));
        var request = await CreateRequestAsync(client, flow, "Create two Trello boards");
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/v1/integration_credentials/?id={olderId}")).StatusCode);

        var run = await WaitForRunAsync(client, await CreateRunAsync(client, flow, request));

        Assert.Equal(RunStatus.Failed, Status(run));
        var failed = TaskRun(run, 0);
        Assert.Equal(RunStatus.Failed, Status(failed));
        Assert.Equal($"Credential '{olderId}' for integration 'trello' no longer exists", failed["error"]!.GetValue<string>());
        Assert.Equal(1, failed["attempt"]!.GetValue<int>());
        Assert.Empty(TokensCreating(named));
        Assert.DoesNotContain(factory.Trello.Requests, r => TrelloServer.TokenOf(r) == older.Token);
        // The flow keeps naming the deleted credential: it is the author's to change, not the server's to drop.
        var stored = await (await client.GetAsync($"/api/v1/flows/?id={flow}")).ReadJsonAsync();
        Assert.Equal(olderId, stored["task_operations"]![0]!["integration_credential"]!.GetValue<string>());
    }
}
