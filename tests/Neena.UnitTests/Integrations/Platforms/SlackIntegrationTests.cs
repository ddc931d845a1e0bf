using System.Diagnostics;
using System.Text.Json.Nodes;
using Neena.Integrations;
using Neena.Integrations.Credentials;
using Neena.Integrations.Slack;
using Neena.StandIns;

namespace Neena.UnitTests.Integrations.Platforms;

public sealed class SlackStandInFixture : IAsyncLifetime
{
    public SlackServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await SlackServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Each Slack task through the real typed client, its resilience pipeline and sockets, against the Slack stand-in.</summary>
public sealed class SlackIntegrationTests : IClassFixture<SlackStandInFixture>, IDisposable
{
    private readonly SlackServer _slack;
    private readonly PlatformHarness _harness;
    private readonly SlackApp _app;
    private readonly string _general;

    public SlackIntegrationTests(SlackStandInFixture fixture)
    {
        _slack = fixture.Server;
        _slack.ClearInterruptions();
        _harness = new PlatformHarness(new Dictionary<string, string?> { ["Integrations:Slack:BaseUrl"] = _slack.BaseUrl });
        _app = _slack.AddApp();
        _harness.Credentials.Add("slack", _app.CredentialFields());
        _general = _slack.ChannelId("general");
    }

    public void Dispose() => _harness.Dispose();

    private Task<JsonNode?> RunAsync(string task, JsonObject input) => _harness.RunAsync("slack", task, input);

    [Fact]
    public async Task SendMessage_ToAChannel_IsPostedAsTheBot()
    {
        _slack.ClearRequests();

        var sent = await RunAsync("Send Message", new JsonObject { ["channel"] = _general, ["text"] = "Deploy finished :tada:" });

        var ts = sent!["ts"]!.GetValue<string>();
        Assert.Equal(_general, sent["channel"]!.GetValue<string>());
        Assert.Equal("Deploy finished :tada:", sent["text"]!.GetValue<string>());
        var message = Assert.Single(_slack.Messages(_general), m => m.Ts == ts);
        Assert.Equal(SlackServer.BotId, message.BotId);
        var request = Assert.Single(_slack.Requests);
        Assert.Equal("POST /api/chat.postMessage", $"{request.Method} {request.Path}");
        Assert.Equal("Bearer " + _app.BotToken, request.Authorization);
        Assert.Equal("application/json; charset=utf-8", request.ContentType);
        Assert.DoesNotContain(_app.BotToken, request.Body + request.Query, StringComparison.Ordinal);
        Assert.Equal(JsonNode.Parse($$"""{"channel":"{{_general}}","text":"Deploy finished :tada:"}"""), JsonNode.Parse(request.Body), JsonNode.DeepEquals);
    }

    [Fact]
    public async Task SendMessage_WithThreadTs_RepliesInTheThread()
    {
        var parent = _slack.PostAsUser(_general, "U00000001", "Question?");

        var sent = await RunAsync("Send Message", new JsonObject { ["channel"] = _general, ["text"] = "Answer", ["thread_ts"] = parent });

        Assert.Equal(parent, sent!["thread_ts"]!.GetValue<string>());
        Assert.Contains(_slack.Messages(_general), m => m.Text == "Answer" && m.ThreadTs == parent);
    }

    [Fact]
    public async Task SendMessage_UnknownChannel_FailsWithSlacksErrorWithoutRetry()
    {
        _slack.ClearRequests();

        var error = await Assert.ThrowsAsync<TaskFailedException>(() => RunAsync("Send Message", new JsonObject { ["channel"] = "C999", ["text"] = "hi" }));

        Assert.Equal("Slack chat.postMessage failed: channel_not_found", error.Message);
        Assert.Single(_slack.Requests);
    }

    [Fact]
    public async Task SendMessage_ChannelTheBotIsNotIn_FailsWithNotInChannel()
    {
        var error = await Assert.ThrowsAsync<TaskFailedException>(() => RunAsync("Send Message", new JsonObject { ["channel"] = _slack.ChannelId("lobby"), ["text"] = "hi" }));

        Assert.Equal("Slack chat.postMessage failed: not_in_channel", error.Message);
    }

    [Fact]
    public async Task ListChannels_MorePagesThanOne_FollowsCursorsUpToTheLimit()
    {
        for (var i = 0; i < 230; i++)
            _slack.AddChannel($"bulk-{i:D3}");
        _slack.ClearRequests();

        var channels = (await RunAsync("List Channels", new JsonObject { ["limit"] = 220 }))!.AsArray();

        Assert.Equal(220, channels.Count);
        Assert.Equal(220, channels.Select(c => c!["id"]!.GetValue<string>()).Distinct().Count());
        Assert.Contains(channels, c => c!["name"]!.GetValue<string>() == "general" && c["is_member"]!.GetValue<bool>());
        var requests = _slack.Requests;
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Equal("GET /api/conversations.list", $"{r.Method} {r.Path}"));
        Assert.Contains("limit=200", requests[0].Query, StringComparison.Ordinal);
        Assert.Contains("cursor=", requests[1].Query, StringComparison.Ordinal);
        Assert.Contains("limit=20", requests[1].Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FindUserByEmail_KnownAndUnknown_ReturnsTheUserOrSlacksError()
    {
        var user = await RunAsync("Find User by Email", new JsonObject { ["email"] = "grace@example.com" });
        var error = await Assert.ThrowsAsync<TaskFailedException>(() => RunAsync("Find User by Email", new JsonObject { ["email"] = "nobody@example.com" }));

        Assert.Equal("Grace Hopper", user!["real_name"]!.GetValue<string>());
        Assert.Equal("grace@example.com", user["email"]!.GetValue<string>());
        Assert.StartsWith("U", user["id"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Slack users.lookupByEmail failed: users_not_found", error.Message);
    }

    [Fact]
    public async Task AddReaction_ToAMessage_IsAddedOnceThenAlreadyReacted()
    {
        var ts = _slack.PostAsUser(_general, "U00000001", "Ship it?");

        var added = await RunAsync("Add Reaction", new JsonObject { ["channel"] = _general, ["timestamp"] = ts, ["name"] = ":thumbsup:" });
        var again = await Assert.ThrowsAsync<TaskFailedException>(() => RunAsync("Add Reaction", new JsonObject { ["channel"] = _general, ["timestamp"] = ts, ["name"] = "thumbsup" }));

        Assert.Equal("thumbsup", added!["name"]!.GetValue<string>());
        Assert.Equal([SlackServer.BotUserId], _slack.Reactions(_general, ts)["thumbsup"]);
        Assert.Equal("Slack reactions.add failed: already_reacted", again.Message);
    }

    [Fact]
    public async Task GetChannelHistory_WithLimit_ReturnsTheNewestFirst()
    {
        var channel = _slack.AddChannel("history");
        var posted = Enumerable.Range(1, 5).Select(i => _slack.PostAsUser(channel, "U00000001", $"message {i}")).ToList();

        var messages = (await RunAsync("Get Channel History", new JsonObject { ["channel"] = channel, ["limit"] = 3 }))!.AsArray();
        var older = (await RunAsync("Get Channel History", new JsonObject { ["channel"] = channel, ["latest"] = posted[2] }))!.AsArray();

        Assert.Equal(["message 5", "message 4", "message 3"], messages.Select(m => m!["text"]!.GetValue<string>()));
        Assert.Equal(posted[4], messages[0]!["ts"]!.GetValue<string>());
        Assert.Equal(["message 2", "message 1"], older.Select(m => m!["text"]!.GetValue<string>()));
    }

    [Fact]
    public async Task UpdateMessage_TheBotsMessage_ChangesItsTextAndKeepsItsTs()
    {
        var sent = await RunAsync("Send Message", new JsonObject { ["channel"] = _general, ["text"] = "Deploy running" });
        var ts = sent!["ts"]!.GetValue<string>();
        _slack.ClearRequests();

        var updated = await RunAsync("Update Message", new JsonObject { ["channel"] = _general, ["ts"] = ts, ["text"] = "Deploy done" });

        Assert.Equal(JsonNode.Parse($$"""{"channel":"{{_general}}","ts":"{{ts}}","text":"Deploy done"}"""), updated, JsonNode.DeepEquals);
        Assert.Equal("Deploy done", Assert.Single(_slack.Messages(_general), m => m.Ts == ts).Text);
        var request = Assert.Single(_slack.Requests);
        Assert.Equal("POST /api/chat.update", $"{request.Method} {request.Path}");
        Assert.Equal(JsonNode.Parse($$"""{"channel":"{{_general}}","ts":"{{ts}}","text":"Deploy done"}"""), JsonNode.Parse(request.Body), JsonNode.DeepEquals);
    }

    [Fact]
    public async Task UpdateMessage_UnknownTsChannelOrSomeoneElsesMessage_FailsWithSlacksError()
    {
        var theirs = _slack.PostAsUser(_general, "U00000001", "mine, not the bot's");

        var unknownTs = await Assert.ThrowsAsync<TaskFailedException>(() => RunAsync("Update Message", new JsonObject { ["channel"] = _general, ["ts"] = "1.000001", ["text"] = "x" }));
        var unknownChannel = await Assert.ThrowsAsync<TaskFailedException>(() => RunAsync("Update Message", new JsonObject { ["channel"] = "C999", ["ts"] = theirs, ["text"] = "x" }));
        var notTheBots = await Assert.ThrowsAsync<TaskFailedException>(() => RunAsync("Update Message", new JsonObject { ["channel"] = _general, ["ts"] = theirs, ["text"] = "x" }));

        Assert.Equal("Slack chat.update failed: message_not_found", unknownTs.Message);
        Assert.Equal("Slack chat.update failed: channel_not_found", unknownChannel.Message);
        Assert.Equal("Slack chat.update failed: cant_update_message", notTheBots.Message);
        Assert.Equal("mine, not the bot's", Assert.Single(_slack.Messages(_general), m => m.Ts == theirs).Text);
    }

    [Fact]
    public async Task DeleteMessage_TheBotsMessage_IsRemoved_ThenMessageNotFound()
    {
        var sent = await RunAsync("Send Message", new JsonObject { ["channel"] = _general, ["text"] = "to be retracted" });
        var ts = sent!["ts"]!.GetValue<string>();

        var deleted = await RunAsync("Delete Message", new JsonObject { ["channel"] = _general, ["ts"] = ts });
        var again = await Assert.ThrowsAsync<TaskFailedException>(() => RunAsync("Delete Message", new JsonObject { ["channel"] = _general, ["ts"] = ts }));

        Assert.Equal(JsonNode.Parse($$"""{"channel":"{{_general}}","ts":"{{ts}}"}"""), deleted, JsonNode.DeepEquals);
        Assert.DoesNotContain(_slack.Messages(_general), m => m.Ts == ts);
        Assert.Equal("Slack chat.delete failed: message_not_found", again.Message);
    }

    [Fact]
    public async Task DeleteMessage_SomeoneElsesMessage_FailsWithCantDeleteMessage()
    {
        var theirs = _slack.PostAsUser(_general, "U00000001", "stays");

        var error = await Assert.ThrowsAsync<TaskFailedException>(() => RunAsync("Delete Message", new JsonObject { ["channel"] = _general, ["ts"] = theirs }));

        Assert.Equal("Slack chat.delete failed: cant_delete_message", error.Message);
        Assert.Contains(_slack.Messages(_general), m => m.Ts == theirs);
    }

    [Fact]
    public async Task UpdateAndDeleteMessage_RateLimited_WaitForRetryAfterAndActOnce()
    {
        var ts = (await RunAsync("Send Message", new JsonObject { ["channel"] = _general, ["text"] = "v1" }))!["ts"]!.GetValue<string>();
        _slack.ClearRequests();

        _slack.RateLimitNext(1, retryAfterSeconds: 1);
        var updated = await RunAsync("Update Message", new JsonObject { ["channel"] = _general, ["ts"] = ts, ["text"] = "v2" });
        _slack.RateLimitNext(1, retryAfterSeconds: 1);
        await RunAsync("Delete Message", new JsonObject { ["channel"] = _general, ["ts"] = ts });

        Assert.Equal("v2", updated!["text"]!.GetValue<string>());
        Assert.Equal(["/api/chat.update", "/api/chat.update", "/api/chat.delete", "/api/chat.delete"], _slack.Requests.Select(r => r.Path));
        Assert.DoesNotContain(_slack.Messages(_general), m => m.Ts == ts);
    }

    [Theory]
    [InlineData("Update Message", """{"channel":"C1","ts":" ","text":"x"}""", "ts")]
    [InlineData("Update Message", """{"channel":"C1","ts":"1.2","text":" "}""", "text")]
    [InlineData("Delete Message", """{"channel":"","ts":"1.2"}""", "channel")]
    public async Task UpdateAndDeleteMessage_EmptyInput_IsRefusedBeforeCallingSlack(string task, string input, string field)
    {
        _slack.ClearRequests();

        var error = await Assert.ThrowsAsync<TaskInputException>(() => RunAsync(task, JsonNode.Parse(input)!.AsObject()));

        Assert.Contains($"'{field}'", error.Message, StringComparison.Ordinal);
        Assert.Empty(_slack.Requests);
    }

    [Fact]
    public async Task SendMessage_RateLimited_WaitsForRetryAfterAndPostsOnce()
    {
        _slack.ClearRequests();
        _slack.RateLimitNext(1, retryAfterSeconds: 1);

        var clock = Stopwatch.StartNew();
        var sent = await RunAsync("Send Message", new JsonObject { ["channel"] = _general, ["text"] = "after the limit" });

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.95), $"retried after {clock.Elapsed}");
        Assert.Single(_slack.Messages(_general), m => m.Text == "after the limit");
        Assert.Equal(2, _slack.Requests.Count);
        Assert.NotNull(sent!["ts"]);
    }

    [Fact]
    public async Task ListChannels_RateLimitedLongerThanTheMaximum_FailsTransientlyWithTheWait()
    {
        _slack.ClearRequests();
        _slack.RateLimitNext(1, retryAfterSeconds: 90);

        var error = await Assert.ThrowsAsync<TransientTaskException>(() => RunAsync("List Channels", new JsonObject()));

        Assert.Equal(TimeSpan.FromSeconds(90), error.RetryAfter);
        Assert.Single(_slack.Requests);
    }

    [Fact]
    public async Task ListChannels_ServerErrorOnce_IsRetried()
    {
        _slack.ClearRequests();
        _slack.FailNext(1);

        var channels = await RunAsync("List Channels", new JsonObject());

        Assert.NotEmpty(channels!.AsArray());
        Assert.Equal(2, _slack.Requests.Count);
    }

    [Fact]
    public async Task SendMessage_ServerError_IsNotRepeatedAndFailsPermanently()
    {
        _slack.ClearRequests();
        _slack.FailNext(1);

        var error = await Assert.ThrowsAsync<TaskFailedException>(() => RunAsync("Send Message", new JsonObject { ["channel"] = _general, ["text"] = "maybe" }));

        Assert.Single(_slack.Requests);
        Assert.Contains("not repeated", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_slack.Messages(_general), m => m.Text == "maybe");
    }

    [Fact]
    public async Task AnyTask_RevokedToken_FailsWithInvalidAuth()
    {
        var harness = new PlatformHarness(new Dictionary<string, string?> { ["Integrations:Slack:BaseUrl"] = _slack.BaseUrl });
        harness.Credentials.Add("slack", new Dictionary<string, string> { ["bot_token"] = "xoxb-0-0-revoked", ["signing_secret"] = "s" });

        var error = await Assert.ThrowsAsync<TaskFailedException>(() => harness.RunAsync("slack", "List Channels", new JsonObject()));

        Assert.Equal("Slack conversations.list failed: invalid_auth", error.Message);
    }

    [Fact]
    public async Task AnyTask_NoCredential_FailsNamingTheIntegration()
    {
        var harness = new PlatformHarness(new Dictionary<string, string?> { ["Integrations:Slack:BaseUrl"] = _slack.BaseUrl });

        var error = await Assert.ThrowsAsync<TaskFailedException>(() => harness.RunAsync("slack", "Send Message", new JsonObject { ["channel"] = "C1", ["text"] = "x" }));

        Assert.Equal("No credential for integration 'slack'", error.Message);
    }

    [Fact]
    public async Task CheckCredentials_CallsAuthTest_AndAnswersWhoTheBotIs()
    {
        var check = _harness.Create<SlackIntegration>();
        _slack.ClearRequests();

        var ok = await check.CheckCredentialsAsync(new IntegrationCredentials(Guid.NewGuid(), "slack", _app.CredentialFields()), CancellationToken.None);
        var refused = await check.CheckCredentialsAsync(
            new IntegrationCredentials(Guid.NewGuid(), "slack", new Dictionary<string, string> { ["bot_token"] = "xoxb-1-2-nope", ["signing_secret"] = "x" }), CancellationToken.None);

        Assert.True(ok.Ok);
        Assert.Contains(SlackServer.BotName, ok.Detail, StringComparison.Ordinal);
        Assert.Contains(SlackServer.TeamName, ok.Detail, StringComparison.Ordinal);
        Assert.False(refused.Ok);
        Assert.Equal("Slack auth.test failed: invalid_auth", refused.Detail);
        Assert.All(_slack.Requests, r => Assert.Equal("/api/auth.test", r.Path));
    }

    [Fact]
    public async Task EveryTask_Outputs_ErrorsAndLogs_NeverHoldTheSecrets()
    {
        var ts = _slack.PostAsUser(_general, "U00000001", "hello");
        var texts = new List<string>();
        var inputs = new (string Task, JsonObject Input)[]
        {
            ("Send Message", new JsonObject { ["channel"] = _general, ["text"] = "x" }),
            ("List Channels", new JsonObject()),
            ("Find User by Email", new JsonObject { ["email"] = "grace@example.com" }),
            ("Add Reaction", new JsonObject { ["channel"] = _general, ["timestamp"] = ts, ["name"] = "eyes" }),
            ("Get Channel History", new JsonObject { ["channel"] = _general }),
            ("Update Message", new JsonObject { ["channel"] = _general, ["ts"] = ts, ["text"] = "x" }),
            ("Delete Message", new JsonObject { ["channel"] = _general, ["ts"] = "1.000001" }),
            ("Send Message", new JsonObject { ["channel"] = "C0", ["text"] = "x" }),
        };
        _slack.RateLimitNext(1, 120);
        texts.Add((await Assert.ThrowsAsync<TransientTaskException>(() => RunAsync("List Channels", new JsonObject()))).ToString());
        foreach (var (task, input) in inputs)
        {
            try
            {
                texts.Add((await RunAsync(task, input))!.ToJsonString());
            }
            catch (TaskFailedException ex)
            {
                texts.Add(ex.ToString());
            }
        }

        Assert.Equal(inputs.Select(i => i.Task).Distinct().Count(), IntegrationCatalogue.BuiltIn.Integrations.Single(i => i.ShortName == "slack").Tasks.Count);
        Assert.NotEmpty(_harness.Logs.Entries);
        foreach (var secret in new[] { _app.BotToken, _app.SigningSecret })
        {
            Assert.All(texts, t => Assert.DoesNotContain(secret, t, StringComparison.Ordinal));
            Assert.DoesNotContain(secret, _harness.Logs.All, StringComparison.Ordinal);
        }
    }
}
