using System.Text.Json.Nodes;
using Neena.Integrations;
using Neena.Integrations.Credentials;
using Neena.Integrations.Slack;
using Neena.Integrations.Trello;
using Neena.Integrations.Triggers;

namespace Neena.UnitTests.Integrations.Platforms;

/// <summary>What the Slack and Trello folders declare to the catalogue: tasks, credential fields and webhook triggers.</summary>
public sealed class CatalogueDeclarationsTests
{
    private static IntegrationDescriptor Integration(string shortName) =>
        IntegrationCatalogue.BuiltIn.Integrations.Single(i => i.ShortName == shortName);

    [Fact]
    public void Trello_DeclaresTheOriginalsTasksPlusComments_AndItsCredentialFields()
    {
        var trello = Integration("trello");

        Assert.Equal(
            ["Get Boards", "Create Board", "Get Board", "Update Board", "Delete Board", "Create Card", "Get Card", "Update Card", "Delete Card",
             "Create List", "Get List", "Update List", "Get Cards in List", "Get Lists in Board", "Add Comment to Card"],
            trello.Tasks.Select(t => t.TaskName));
        Assert.Equal(IntegrationAuthType.ApiKey, trello.AuthType);
        Assert.Equal(["api_key", "token", "app_secret"], trello.CredentialFields.Select(f => f.Name));
        Assert.All(trello.CredentialFields, f => Assert.False(string.IsNullOrWhiteSpace(f.DocString)));
        Assert.Equal(typeof(TrelloIntegration), trello.IntegrationType);
        Assert.All(trello.Tasks, t => Assert.False(string.IsNullOrWhiteSpace(t.Description)));
    }

    [Fact]
    public void Trello_CreateCard_DerivesParametersFromItsInputType()
    {
        var task = Integration("trello").Tasks.Single(t => t.TaskName == "Create Card");

        Assert.Equal(["list_id", "name", "description", "position", "due"], task.Parameters.Select(p => p.Name));
        Assert.Equal([false, false, true, true, true], task.Parameters.Select(p => p.Optional));
        Assert.Equal("datetime", task.Parameters.Single(p => p.Name == "due").DataType);
        Assert.Contains("list_id", task.OutputParameters.Select(p => p.Name));
        Assert.False(task.OutputIsList);
        Assert.True(Integration("trello").Tasks.Single(t => t.TaskName == "Get Cards in List").OutputIsList);
    }

    [Fact]
    public void Slack_DeclaresItsTasks_AndItsCredentialFields()
    {
        var slack = Integration("slack");

        Assert.Equal(["Send Message", "List Channels", "Find User by Email", "Add Reaction", "Get Channel History", "Update Message", "Delete Message"], slack.Tasks.Select(t => t.TaskName));
        Assert.Equal(["bot_token", "signing_secret"], slack.CredentialFields.Select(f => f.Name));
        var send = slack.Tasks[0];
        Assert.Equal(["channel", "text", "thread_ts"], send.Parameters.Select(p => p.Name));
        Assert.Equal([false, false, true], send.Parameters.Select(p => p.Optional));
        var update = slack.Tasks.Single(t => t.TaskName == "Update Message");
        Assert.Equal(["channel", "ts", "text"], update.Parameters.Select(p => p.Name));
        Assert.Equal(["channel", "ts", "text"], update.OutputParameters.Select(p => p.Name));
        Assert.All(update.Parameters, p => Assert.False(p.Optional));
        var delete = slack.Tasks.Single(t => t.TaskName == "Delete Message");
        Assert.Equal(["channel", "ts"], delete.Parameters.Select(p => p.Name));
        Assert.Equal(["channel", "ts"], delete.OutputParameters.Select(p => p.Name));
    }

    [Fact]
    public void IntegrationsWithoutSecrets_DeclareNoCredentialFields()
    {
        Assert.Empty(Integration("core").CredentialFields);
        Assert.Empty(Integration("http").CredentialFields);
    }

    [Fact]
    public void Triggers_BuiltIn_EachWithItsEventFieldsAndEntityField()
    {
        var triggers = IntegrationCatalogue.BuiltIn.Integrations.SelectMany(i => i.Triggers.Select(t => (i.ShortName, Trigger: t))).ToList();

        Assert.Equal(
            [("core", "Incoming Webhook"), ("slack", "Message Posted"), ("trello", "Card Created"), ("trello", "Comment Added")],
            triggers.Select(t => (t.ShortName, t.Trigger.TriggerName)));
        var cardCreated = triggers.Single(t => t.Trigger.TriggerName == "Card Created").Trigger;
        Assert.Equal("createCard", cardCreated.EventType);
        Assert.Equal("card_id", cardCreated.EntityField);
        Assert.Equal(typeof(TrelloCardCreated).FullName, cardCreated.TypeName);
        Assert.Equal(["card_id", "card_name", "list_name", "list_id", "board_id"], cardCreated.EventFields.Select(f => f.Name));
        Assert.Equal("$.action.data.card.id", cardCreated.EventFields[0].JsonPath);
        Assert.Equal("string", cardCreated.EventFields[0].DataType);
        Assert.True(cardCreated.EventFields.Single(f => f.Name == "list_id").Optional);
        var comment = triggers.Single(t => t.Trigger.TriggerName == "Comment Added").Trigger;
        Assert.Equal(("commentCard", "card_id"), (comment.EventType, comment.EntityField));
        Assert.Equal(["card_id", "text", "member"], comment.EventFields.Where(f => !f.Optional).Select(f => f.Name));
        var message = triggers.Single(t => t.Trigger.TriggerName == "Message Posted").Trigger;
        Assert.Equal(("message", "ts"), (message.EventType, message.EntityField));
        Assert.Equal(["channel", "user", "text", "ts"], message.EventFields.Where(f => !f.Optional).Select(f => f.Name));
        var webhook = triggers.Single(t => t.Trigger.TriggerName == "Incoming Webhook").Trigger;
        var payload = Assert.Single(webhook.EventFields);
        Assert.Equal(("payload", "$", "object"), (payload.Name, payload.JsonPath, payload.DataType));
        Assert.Null(webhook.EntityField);
        Assert.All(triggers, t => Assert.All(t.Trigger.EventFields, f => Assert.False(string.IsNullOrWhiteSpace(f.DocString))));
    }

    [Fact]
    public void TrelloCardCreated_Extract_ReadsAWebhookDeliveryAsTrelloSendsIt()
    {
        // The shape of a Trello webhook delivery for a createCard action (action.data carries card, list and board).
        var delivery = JsonNode.Parse("""
            {"action": {"id": "65a1b2c3d4e5f60718293a4b", "idMemberCreator": "5a1b2c3d4e5f60718293a4b5", "type": "createCard",
              "date": "2024-05-01T10:00:00.000Z",
              "data": {"card": {"id": "65a1b2c3d4e5f60718293a4c", "name": "Fix login", "idShort": 12, "shortLink": "AbCd1234"},
                       "list": {"id": "65a1b2c3d4e5f60718293a4d", "name": "Backlog"},
                       "board": {"id": "65a1b2c3d4e5f60718293a4e", "name": "Product", "shortLink": "XyZ98765"}},
              "memberCreator": {"id": "5a1b2c3d4e5f60718293a4b5", "username": "ada", "fullName": "Ada Lovelace"}},
             "model": {"id": "65a1b2c3d4e5f60718293a4e", "name": "Product"}}
            """);
        var trigger = Integration("trello").Triggers.Single(t => t.TriggerName == "Card Created");

        var fields = trigger.Extract(delivery);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"card_id": "65a1b2c3d4e5f60718293a4c", "card_name": "Fix login", "list_name": "Backlog",
             "list_id": "65a1b2c3d4e5f60718293a4d", "board_id": "65a1b2c3d4e5f60718293a4e"}
            """), fields), fields.ToJsonString());
    }

    [Fact]
    public void TrelloCommentAdded_Extract_ReadsTheStandInsCommentAction()
    {
        var action = JsonNode.Parse("""
            {"id": "a1", "type": "commentCard", "date": "2024-05-01T10:00:00.000Z",
             "data": {"text": "Looks good", "card": {"id": "c1", "name": "Fix login"}, "board": {"id": "b1", "name": "Product"}},
             "memberCreator": {"id": "m1", "username": "grace", "fullName": "Grace Hopper"}}
            """)!;
        var trigger = Integration("trello").Triggers.Single(t => t.TriggerName == "Comment Added");

        var fields = trigger.Extract(new JsonObject { ["action"] = action, ["model"] = new JsonObject { ["id"] = "b1" } });

        Assert.Equal("c1", fields["card_id"]!.GetValue<string>());
        Assert.Equal("Looks good", fields["text"]!.GetValue<string>());
        Assert.Equal("grace", fields["member"]!.GetValue<string>());
    }

    [Fact]
    public void SlackMessagePosted_Extract_ReadsAnEventsApiCallback()
    {
        var delivery = JsonNode.Parse("""
            {"token": "XXYYZZ", "team_id": "T123ABC456", "api_app_id": "A123ABC456", "type": "event_callback",
             "event_id": "Ev123ABC456", "event_time": 1515449522,
             "event": {"type": "message", "channel": "C123ABC456", "user": "U123ABC456", "text": "Live long and prospect.",
                       "ts": "1515449522.000016", "event_ts": "1515449522000016", "channel_type": "channel"}}
            """);
        var trigger = Integration("slack").Triggers.Single();

        var fields = trigger.Extract(delivery);

        Assert.Equal("C123ABC456", fields["channel"]!.GetValue<string>());
        Assert.Equal("U123ABC456", fields["user"]!.GetValue<string>());
        Assert.Equal("Live long and prospect.", fields["text"]!.GetValue<string>());
        Assert.Equal("1515449522.000016", fields["ts"]!.GetValue<string>());
        Assert.Null(fields["thread_ts"]);
    }

    [Fact]
    public void IncomingWebhook_Extract_TakesTheWholeDocument()
    {
        var delivery = JsonNode.Parse("""{"order": {"id": 42, "items": [1, 2]}}""");

        var fields = Integration("core").Triggers.Single().Extract(delivery);

        Assert.True(JsonNode.DeepEquals(delivery, fields["payload"]));
    }

    [Theory]
    [InlineData("$", """{"a":1}""", """{"a":1}""")]
    [InlineData("$.a.b", """{"a":{"b":"x"}}""", "\"x\"")]
    [InlineData("$['a']['b c']", """{"a":{"b c":true}}""", "true")]
    [InlineData("$.items[1].id", """{"items":[{"id":1},{"id":2}]}""", "2")]
    [InlineData("$.items[5].id", """{"items":[{"id":1}]}""", "null")]
    [InlineData("$.a.b", """{"a":"text"}""", "null")]
    public void JsonPath_Select_FollowsMembersAndIndexes(string path, string json, string expected)
    {
        var value = JsonPath.Parse(path).Select(JsonNode.Parse(json));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), value), value?.ToJsonString());
    }

    [Theory]
    [InlineData("a.b")]
    [InlineData("$..a")]
    [InlineData("$.a[")]
    [InlineData("$.a[x]")]
    [InlineData("$a")]
    public void JsonPath_Parse_OutsideTheSubset_Throws(string path) =>
        Assert.Throws<FormatException>(() => JsonPath.Parse(path));

    [Fact]
    public void FromTypes_TriggerWithoutEventFieldPath_FailsTheScan()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => IntegrationCatalogue.FromTypes([typeof(SampleIntegration), typeof(TriggerWithoutPath)]));

        Assert.Contains("EventField", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromTypes_TriggerWithUnknownEntityField_FailsTheScan()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => IntegrationCatalogue.FromTypes([typeof(SampleIntegration), typeof(TriggerWithUnknownEntity)]));

        Assert.Contains("'nope'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromTypes_CredentialFieldsWithoutACheck_FailsTheScan()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => IntegrationCatalogue.FromTypes([typeof(UncheckableIntegration)]));

        Assert.Contains(nameof(ICredentialCheck), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_BaseUrlsDefaultToThePlatforms()
    {
        Assert.Equal("https://slack.com/api/", new SlackOptions().BaseAddress().ToString());
        Assert.Equal("https://api.trello.com/1/", new TrelloOptions().BaseAddress().ToString());
        Assert.Equal("http://proxy.local/trello/1/", new TrelloOptions { BaseUrl = "http://proxy.local/trello/1" }.BaseAddress().ToString());
        Assert.NotNull(new TrelloOptions { BaseUrl = "ftp://x" }.Validate("Integrations:Trello"));
        Assert.Null(new SlackOptions().Validate("Integrations:Slack"));
    }
}

[Trigger("No Path", typeof(SampleIntegration))]
public sealed record TriggerWithoutPath
{
    public required string Id { get; init; }
}

[Trigger("Unknown Entity", typeof(SampleIntegration), EntityField = "nope")]
public sealed record TriggerWithUnknownEntity
{
    [EventField("$.id")]
    public required string Id { get; init; }
}

[Integration("uncheckable", "Uncheckable")]
[CredentialField("api_key", "A key.")]
public sealed class UncheckableIntegration;
