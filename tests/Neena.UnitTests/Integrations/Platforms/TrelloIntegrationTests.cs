using System.Diagnostics;
using System.Text.Json.Nodes;
using Neena.Integrations;
using Neena.Integrations.Credentials;
using Neena.Integrations.Trello;
using Neena.StandIns;

namespace Neena.UnitTests.Integrations.Platforms;

public sealed class TrelloStandInFixture : IAsyncLifetime
{
    public TrelloServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TrelloServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Each Trello task through the real typed client, its resilience pipeline and sockets, against the Trello stand-in.</summary>
public sealed class TrelloIntegrationTests : IClassFixture<TrelloStandInFixture>, IDisposable
{
    private readonly TrelloServer _trello;
    private readonly PlatformHarness _harness;
    private readonly TrelloAccount _account;

    public TrelloIntegrationTests(TrelloStandInFixture fixture)
    {
        _trello = fixture.Server;
        _trello.ClearInterruptions();
        _harness = new PlatformHarness(new Dictionary<string, string?> { ["Integrations:Trello:BaseUrl"] = _trello.BaseUrl });
        _account = _trello.AddAccount();
        _harness.Credentials.Add("trello", _account.CredentialFields());
    }

    public void Dispose() => _harness.Dispose();

    private Task<JsonNode?> RunAsync(string task, JsonObject input) => _harness.RunAsync("trello", task, input);

    private async Task<(string Board, string List, string Card)> BoardWithCardAsync(string name = "Launch")
    {
        var board = (await RunAsync("Create Board", new JsonObject { ["name"] = name, ["default_lists"] = false }))!["id"]!.GetValue<string>();
        var list = (await RunAsync("Create List", new JsonObject { ["board_id"] = board, ["name"] = "Backlog" }))!["id"]!.GetValue<string>();
        var card = (await RunAsync("Create Card", new JsonObject { ["list_id"] = list, ["name"] = "Write the plan" }))!["id"]!.GetValue<string>();
        return (board, list, card);
    }

    [Fact]
    public async Task Flow_CreateBoardListCardAndComment_IsOnTrelloAndReadsBack()
    {
        var board = await RunAsync("Create Board", new JsonObject { ["name"] = "Launch", ["description"] = "Q3 launch", ["default_lists"] = false });
        var list = await RunAsync("Create List", new JsonObject { ["board_id"] = board!["id"]!.DeepClone(), ["name"] = "Backlog" });
        var card = await RunAsync("Create Card", new JsonObject
        {
            ["list_id"] = list!["id"]!.DeepClone(),
            ["name"] = "Write the plan",
            ["description"] = "Two pages",
            ["due"] = "2030-01-02T03:04:05Z",
        });
        var comment = await RunAsync("Add Comment to Card", new JsonObject { ["card_id"] = card!["id"]!.DeepClone(), ["text"] = "Started" });

        var cardId = card["id"]!.GetValue<string>();
        Assert.Equal("Launch", board["name"]!.GetValue<string>());
        Assert.Equal("Q3 launch", board["description"]!.GetValue<string>());
        Assert.Equal(board["id"]!.GetValue<string>(), list["board_id"]!.GetValue<string>());
        Assert.Equal(list["id"]!.GetValue<string>(), card["list_id"]!.GetValue<string>());
        Assert.Equal(board["id"]!.GetValue<string>(), card["board_id"]!.GetValue<string>());
        Assert.Equal(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero), card["due"]!.GetValue<DateTimeOffset>());
        Assert.Equal(cardId, comment!["card_id"]!.GetValue<string>());
        Assert.Equal("Started", comment["text"]!.GetValue<string>());
        Assert.Equal(_account.Username, comment["member_username"]!.GetValue<string>());

        var stored = Assert.Single(_trello.Cards(), c => c["id"]!.GetValue<string>() == cardId);
        Assert.Equal("Write the plan", stored["name"]!.GetValue<string>());
        Assert.Equal("Two pages", stored["desc"]!.GetValue<string>());
        Assert.Equal(["Started"], _trello.Comments(cardId));

        var read = await RunAsync("Get Card", new JsonObject { ["card_id"] = cardId });
        Assert.Equal("Write the plan", read!["name"]!.GetValue<string>());
        var cards = (await RunAsync("Get Cards in List", new JsonObject { ["list_id"] = list["id"]!.DeepClone() }))!.AsArray();
        Assert.Equal([cardId], cards.Select(c => c!["id"]!.GetValue<string>()));
        var lists = (await RunAsync("Get Lists in Board", new JsonObject { ["board_id"] = board["id"]!.DeepClone() }))!.AsArray();
        Assert.Equal(["Backlog"], lists.Select(l => l!["name"]!.GetValue<string>()));
        var boards = (await RunAsync("Get Boards", new JsonObject()))!.AsArray();
        Assert.Contains(boards, b => b!["id"]!.GetValue<string>() == board["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateBoard_WithDefaultLists_HasTrellosThreeLists()
    {
        var board = await RunAsync("Create Board", new JsonObject { ["name"] = "Defaults" });

        var lists = (await RunAsync("Get Lists in Board", new JsonObject { ["board_id"] = board!["id"]!.DeepClone() }))!.AsArray();

        Assert.Equal(["To Do", "Doing", "Done"], lists.Select(l => l!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task GetBoardAndUpdateBoard_RenameAndClose_ReadBackChanged()
    {
        var (board, _, _) = await BoardWithCardAsync("Old name");

        var updated = await RunAsync("Update Board", new JsonObject { ["board_id"] = board, ["name"] = "New name", ["closed"] = true });
        var read = await RunAsync("Get Board", new JsonObject { ["board_id"] = board });
        var open = (await RunAsync("Get Boards", new JsonObject()))!.AsArray();
        var closed = (await RunAsync("Get Boards", new JsonObject { ["filter"] = "closed" }))!.AsArray();

        Assert.Equal("New name", updated!["name"]!.GetValue<string>());
        Assert.True(read!["closed"]!.GetValue<bool>());
        Assert.Equal("New name", read["name"]!.GetValue<string>());
        Assert.DoesNotContain(open, b => b!["id"]!.GetValue<string>() == board);
        Assert.Contains(closed, b => b!["id"]!.GetValue<string>() == board);
    }

    [Fact]
    public async Task DeleteBoard_Existing_IsGoneFromTrello()
    {
        var (board, _, card) = await BoardWithCardAsync();

        var deleted = await RunAsync("Delete Board", new JsonObject { ["board_id"] = board });

        Assert.True(deleted!["deleted"]!.GetValue<bool>());
        Assert.DoesNotContain(_trello.Boards(), b => b["id"]!.GetValue<string>() == board);
        Assert.DoesNotContain(_trello.Cards(), c => c["id"]!.GetValue<string>() == card);
        var error = await Assert.ThrowsAsync<TaskFailedException>(() => RunAsync("Get Board", new JsonObject { ["board_id"] = board }));
        Assert.Contains("404", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateCard_MoveRenameAndDue_ReadsBackChanged()
    {
        var (board, _, card) = await BoardWithCardAsync();
        var done = (await RunAsync("Create List", new JsonObject { ["board_id"] = board, ["name"] = "Done" }))!["id"]!.GetValue<string>();

        var updated = await RunAsync("Update Card", new JsonObject
        {
            ["card_id"] = card,
            ["list_id"] = done,
            ["name"] = "Plan written",
            ["description"] = "Reviewed",
            ["due"] = "2031-05-06T07:08:09Z",
            ["position"] = "top",
        });

        Assert.Equal(done, updated!["list_id"]!.GetValue<string>());
        Assert.Equal("Plan written", updated["name"]!.GetValue<string>());
        var inDone = (await RunAsync("Get Cards in List", new JsonObject { ["list_id"] = done }))!.AsArray();
        Assert.Equal([card], inDone.Select(c => c!["id"]!.GetValue<string>()));
        var stored = _trello.Cards().Single(c => c["id"]!.GetValue<string>() == card);
        Assert.Equal("Reviewed", stored["desc"]!.GetValue<string>());
        Assert.StartsWith("2031-05-06T07:08:09", stored["due"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteCard_Existing_IsGoneFromTrello()
    {
        var (_, list, card) = await BoardWithCardAsync();

        var deleted = await RunAsync("Delete Card", new JsonObject { ["card_id"] = card });

        Assert.Equal(card, deleted!["id"]!.GetValue<string>());
        Assert.Empty((await RunAsync("Get Cards in List", new JsonObject { ["list_id"] = list }))!.AsArray());
        Assert.DoesNotContain(_trello.Cards(), c => c["id"]!.GetValue<string>() == card);
    }

    [Fact]
    public async Task GetListAndUpdateList_RenameAndClose_ReadBackChanged()
    {
        var (board, list, _) = await BoardWithCardAsync();

        var updated = await RunAsync("Update List", new JsonObject { ["list_id"] = list, ["name"] = "Icebox", ["closed"] = true });
        var read = await RunAsync("Get List", new JsonObject { ["list_id"] = list });
        var open = (await RunAsync("Get Lists in Board", new JsonObject { ["board_id"] = board }))!.AsArray();
        var all = (await RunAsync("Get Lists in Board", new JsonObject { ["board_id"] = board, ["filter"] = "all" }))!.AsArray();

        Assert.Equal("Icebox", updated!["name"]!.GetValue<string>());
        Assert.True(read!["closed"]!.GetValue<bool>());
        Assert.Equal(board, read["board_id"]!.GetValue<string>());
        Assert.Empty(open);
        Assert.Single(all);
    }

    [Fact]
    public async Task Requests_CarryKeyAndTokenInTheOAuthHeader_NeverInTheUrl()
    {
        _trello.ClearRequests();

        await BoardWithCardAsync();

        var requests = _trello.Requests;
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r =>
        {
            Assert.Equal($"OAuth oauth_consumer_key=\"{_account.ApiKey}\", oauth_token=\"{_account.Token}\"", r.Authorization);
            Assert.DoesNotContain(_account.ApiKey, r.Path + r.Query, StringComparison.Ordinal);
            Assert.DoesNotContain(_account.Token, r.Path + r.Query, StringComparison.Ordinal);
            Assert.StartsWith("/1/", r.Path, StringComparison.Ordinal);
        });
        Assert.Equal(["POST /1/boards/", "POST /1/lists", "POST /1/cards"], requests.Select(r => $"{r.Method} {r.Path}"));
        Assert.Contains("name=Write%20the%20plan", requests[2].Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCard_Unknown_FailsPermanentlyWithTrellosAnswer()
    {
        var error = await Assert.ThrowsAsync<TaskFailedException>(() => RunAsync("Get Card", new JsonObject { ["card_id"] = "5f0c0c0c0c0c0c0c0c0c0c0c" }));

        Assert.Equal("Trello refused GET cards/5f0c0c0c0c0c0c0c0c0c0c0c: 404 Not Found: The requested resource was not found.", error.Message);
    }

    [Fact]
    public async Task AnyTask_WrongToken_FailsWithInvalidToken()
    {
        var harness = new PlatformHarness(new Dictionary<string, string?> { ["Integrations:Trello:BaseUrl"] = _trello.BaseUrl });
        var fields = _account.CredentialFields();
        fields["token"] = new string('0', 64);
        harness.Credentials.Add("trello", fields);

        var error = await Assert.ThrowsAsync<TaskFailedException>(() => harness.RunAsync("trello", "Get Boards", new JsonObject()));

        Assert.Equal("Trello refused GET members/me/boards: 401 Unauthorized: invalid token", error.Message);
    }

    [Fact]
    public async Task AnyTask_NoCredential_FailsWithoutRetryOrRequest()
    {
        var harness = new PlatformHarness(new Dictionary<string, string?> { ["Integrations:Trello:BaseUrl"] = _trello.BaseUrl });
        _trello.ClearRequests();

        var error = await Assert.ThrowsAsync<TaskFailedException>(() => harness.RunAsync("trello", "Get Boards", new JsonObject()));

        Assert.Equal("No credential for integration 'trello'", error.Message);
        Assert.Empty(_trello.Requests);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("abc/../../members/me")]
    [InlineData("")]
    public async Task GetCard_IdThatIsNotAnId_IsRefusedBeforeAnyRequest(string id)
    {
        _trello.ClearRequests();

        var error = await Assert.ThrowsAsync<TaskInputException>(() => RunAsync("Get Card", new JsonObject { ["card_id"] = id }));

        Assert.Equal("card_id", error.Field);
        Assert.Empty(_trello.Requests);
    }

    [Fact]
    public async Task UpdateCard_NothingToChange_IsRefusedAsInput()
    {
        var (_, _, card) = await BoardWithCardAsync();

        await Assert.ThrowsAsync<TaskInputException>(() => RunAsync("Update Card", new JsonObject { ["card_id"] = card }));
    }

    [Fact]
    public async Task GetBoards_RateLimitedWithRetryAfter_WaitsAndSucceeds()
    {
        await BoardWithCardAsync();
        _trello.ClearRequests();
        _trello.RateLimitNext(1, retryAfterSeconds: 1);

        var clock = Stopwatch.StartNew();
        var boards = await RunAsync("Get Boards", new JsonObject());

        Assert.NotEmpty(boards!.AsArray());
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.95), $"retried after {clock.Elapsed}");
        var requests = _trello.Requests;
        Assert.Equal(2, requests.Count);
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromSeconds(0.95));
    }

    [Fact]
    public async Task CreateCard_RateLimited_IsSentAgainAndCreatedOnce()
    {
        var (_, list, _) = await BoardWithCardAsync();
        _trello.RateLimitNext(1, retryAfterSeconds: 1);

        var card = await RunAsync("Create Card", new JsonObject { ["list_id"] = list, ["name"] = "After the limit" });

        Assert.Single(_trello.Cards(), c => c["name"]!.GetValue<string>() == "After the limit");
        Assert.Equal("After the limit", card!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task RateLimited_RetryAfterBeyondTheMaximum_FailsTransientlyWithTheWait()
    {
        _trello.ClearRequests();
        _trello.RateLimitNext(1, retryAfterSeconds: 120);

        var error = await Assert.ThrowsAsync<TransientTaskException>(() => RunAsync("Get Boards", new JsonObject()));

        Assert.Equal(TimeSpan.FromSeconds(120), error.RetryAfter);
        Assert.Contains("rate limiting", error.Message, StringComparison.Ordinal);
        Assert.Single(_trello.Requests);
    }

    [Fact]
    public async Task GetCard_ServerErrorOnce_IsRetriedAndSucceeds()
    {
        var (_, _, card) = await BoardWithCardAsync();
        _trello.ClearRequests();
        _trello.FailNext(1, 503);

        var read = await RunAsync("Get Card", new JsonObject { ["card_id"] = card });

        Assert.Equal(card, read!["id"]!.GetValue<string>());
        Assert.Equal(2, _trello.Requests.Count);
    }

    [Fact]
    public async Task CreateCard_ServerError_IsNotRepeatedAndFailsPermanently()
    {
        var (_, list, _) = await BoardWithCardAsync();
        _trello.ClearRequests();
        _trello.FailNext(1, 502);

        var error = await Assert.ThrowsAsync<TaskFailedException>(() => RunAsync("Create Card", new JsonObject { ["list_id"] = list, ["name"] = "Maybe" }));

        Assert.Single(_trello.Requests);
        Assert.Contains("not repeated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCard_ServerErrorEveryTime_FailsTransientlyAfterTheRetries()
    {
        var (_, _, card) = await BoardWithCardAsync();
        _trello.ClearRequests();
        _trello.FailNext(4, 500);

        await Assert.ThrowsAsync<TransientTaskException>(() => RunAsync("Get Card", new JsonObject { ["card_id"] = card }));

        Assert.Equal(4, _trello.Requests.Count);
    }

    [Fact]
    public async Task CheckCredentials_ValidAndInvalid_AnswerOkAndWhy()
    {
        var check = _harness.Create<TrelloIntegration>();
        var good = new IntegrationCredentials(Guid.NewGuid(), "trello", _account.CredentialFields());
        var fields = _account.CredentialFields();
        fields["api_key"] = new string('f', 32);
        var bad = new IntegrationCredentials(Guid.NewGuid(), "trello", fields);

        var ok = await check.CheckCredentialsAsync(good, CancellationToken.None);
        var refused = await check.CheckCredentialsAsync(bad, CancellationToken.None);

        Assert.True(ok.Ok);
        Assert.Contains(_account.Username, ok.Detail, StringComparison.Ordinal);
        Assert.False(refused.Ok);
        Assert.Contains("invalid key", refused.Detail, StringComparison.Ordinal);
        Assert.Equal("GET /1/members/me", $"{_trello.Requests[^1].Method} {_trello.Requests[^1].Path}");
    }

    [Fact]
    public async Task EveryTask_Outputs_ErrorsAndLogs_NeverHoldTheSecrets()
    {
        var texts = new List<string>();
        var (board, list, card) = await BoardWithCardAsync();
        var inputs = new (string Task, JsonObject Input)[]
        {
            ("Get Boards", new JsonObject()),
            ("Get Board", new JsonObject { ["board_id"] = board }),
            ("Update Board", new JsonObject { ["board_id"] = board, ["description"] = "d" }),
            ("Get List", new JsonObject { ["list_id"] = list }),
            ("Update List", new JsonObject { ["list_id"] = list, ["name"] = "L" }),
            ("Get Lists in Board", new JsonObject { ["board_id"] = board }),
            ("Get Card", new JsonObject { ["card_id"] = card }),
            ("Update Card", new JsonObject { ["card_id"] = card, ["name"] = "C" }),
            ("Get Cards in List", new JsonObject { ["list_id"] = list }),
            ("Add Comment to Card", new JsonObject { ["card_id"] = card, ["text"] = "t" }),
            ("Create Card", new JsonObject { ["list_id"] = list, ["name"] = "another" }),
            ("Delete Card", new JsonObject { ["card_id"] = card }),
            ("Get Card", new JsonObject { ["card_id"] = card }),
            ("Create List", new JsonObject { ["board_id"] = board, ["name"] = "L2" }),
            ("Delete Board", new JsonObject { ["board_id"] = board }),
            ("Create Board", new JsonObject { ["name"] = "B2" }),
        };
        _trello.RateLimitNext(1, 120);
        texts.Add((await Assert.ThrowsAsync<TransientTaskException>(() => RunAsync("Get Boards", new JsonObject()))).ToString());
        foreach (var (task, input) in inputs)
        {
            try
            {
                texts.Add((await RunAsync(task, input))!.ToJsonString());
            }
            catch (Exception ex) when (ex is TaskFailedException)
            {
                texts.Add(ex.ToString());
            }
        }

        Assert.Equal(inputs.Select(i => i.Task).Distinct().Count(), IntegrationCatalogue.BuiltIn.Integrations.Single(i => i.ShortName == "trello").Tasks.Count);
        Assert.NotEmpty(_harness.Logs.Entries);
        foreach (var secret in new[] { _account.ApiKey, _account.Token, _account.AppSecret })
        {
            Assert.All(texts, t => Assert.DoesNotContain(secret, t, StringComparison.Ordinal));
            Assert.DoesNotContain(secret, _harness.Logs.All, StringComparison.Ordinal);
        }
    }
}
