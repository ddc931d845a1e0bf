using System.Globalization;
using System.Text.Json.Nodes;
using Neena.Integrations.Credentials;

namespace Neena.Integrations.Slack;

/// <summary>
/// Messages (posted, edited, deleted), channels, users and reactions on Slack, with the organization's Slack credential (a bot token: the tasks act
/// as the app's bot). Each task is one documented Slack Web API method.
/// </summary>
[Integration(ShortName, "Slack", AuthType = IntegrationAuthType.ApiKey)]
[CredentialField(SlackCredentials.BotToken, SlackCredentials.BotTokenDescription)]
[CredentialField(SlackCredentials.SigningSecret, SlackCredentials.SigningSecretDescription)]
public sealed class SlackIntegration(SlackClient slack) : ICredentialCheck
{
    public const string ShortName = "slack";

    private const int MaxPage = 200;
    private const int MaxItems = 1000;
    private const int MaxMessageLength = 40000;

    [Task("Send Message", Description = "Posts a message to a Slack channel as the app's bot with chat.postMessage, or a reply in a message's thread when thread_ts is given, and returns the channel id and the new message's ts. Use it to notify, tell, announce or update a team on Slack, e.g. with text an earlier task wrote; the bot must be a member of the channel.")]
    public async Task<SlackMessageSent> SendMessage(SendMessageInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        Required(input.Channel, "channel");
        MessageText(input.Text);
        var sent = await slack.WriteAsync<SlackPostMessageResponse>(await CredentialsAsync(context), "chat.postMessage", new JsonObject
        {
            ["channel"] = input.Channel,
            ["text"] = input.Text,
            ["thread_ts"] = input.ThreadTs,
        }, context.CancellationToken);
        return new SlackMessageSent
        {
            Channel = sent.Channel ?? input.Channel,
            Ts = sent.Ts ?? sent.Message?.Ts ?? throw new TaskFailedException("Slack chat.postMessage answered without the message's ts."),
            Text = sent.Message?.Text ?? input.Text,
            ThreadTs = sent.Message?.ThreadTs ?? input.ThreadTs,
        };
    }

    [Task("List Channels", Description = "Lists the channels of the Slack workspace that the bot can see with conversations.list (public ones by default), following Slack's pages up to the limit, and returns each channel's id, name, privacy, whether it is archived, whether the bot is a member, topic and purpose. Use it to see which channels exist, or to find a channel's id from its name.")]
    public async Task<List<SlackChannel>> ListChannels(ListChannelsInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var limit = Limit(input.Limit, "limit");
        Required(input.Types, "types");
        var credentials = await CredentialsAsync(context);
        var channels = new List<SlackChannel>();
        string? cursor = null;
        do
        {
            var page = await slack.ReadAsync<SlackConversationsListResponse>(credentials, "conversations.list",
            [
                ("types", input.Types),
                ("exclude_archived", input.ExcludeArchived ? "true" : "false"),
                ("limit", Math.Min(MaxPage, limit - channels.Count).ToString(CultureInfo.InvariantCulture)),
                ("cursor", cursor),
            ], context.CancellationToken);
            channels.AddRange(page.Channels.Take(limit - channels.Count).Select(c => c.ToOutput()));
            cursor = page.ResponseMetadata?.NextCursor;
        }
        while (!string.IsNullOrEmpty(cursor) && channels.Count < limit);
        return channels;
    }

    [Task("Find User by Email", Description = "Finds the member of the Slack workspace who has an email address with users.lookupByEmail and returns their user id, names, email, time zone and whether they are a bot or deactivated. Use it to turn a person's email into a Slack user id, e.g. to mention them in a message as <@ID>.")]
    public async Task<SlackUser> FindUserByEmail(FindUserByEmailInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        Required(input.Email, "email");
        var found = await slack.ReadAsync<SlackUserResponse>(await CredentialsAsync(context), "users.lookupByEmail",
            [("email", input.Email.Trim())], context.CancellationToken);
        var user = found.User ?? throw new TaskFailedException("Slack users.lookupByEmail answered without a user.");
        return new SlackUser
        {
            Id = user.Id,
            TeamId = user.TeamId,
            Name = user.Name,
            RealName = user.RealName ?? user.Profile?.RealName,
            DisplayName = user.Profile?.DisplayName,
            Email = user.Profile?.Email,
            IsBot = user.IsBot,
            Deleted = user.Deleted,
            TimeZone = user.Tz,
        };
    }

    [Task("Add Reaction", Description = "Adds an emoji reaction, such as eyes or white_check_mark, to one Slack message as the bot with reactions.add, and returns the channel, the message's ts and the emoji's name. Use it to acknowledge or mark a message posted by Send Message or found with Get Channel History; Slack refuses a reaction the bot already added.")]
    public async Task<SlackReactionAdded> AddReaction(AddReactionInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        Required(input.Channel, "channel");
        Required(input.Timestamp, "timestamp");
        var name = input.Name.Trim().Trim(':');
        Required(name, "name");
        await slack.WriteAsync<SlackResponse>(await CredentialsAsync(context), "reactions.add", new JsonObject
        {
            ["channel"] = input.Channel,
            ["timestamp"] = input.Timestamp,
            ["name"] = name,
        }, context.CancellationToken);
        return new SlackReactionAdded { Channel = input.Channel, Timestamp = input.Timestamp, Name = name };
    }

    [Task("Get Channel History", Description = "Reads the latest messages of a Slack channel, newest first, with conversations.history (optionally only those between two ts), following Slack's pages up to the limit, and returns each message's ts, text, author (user or bot id), subtype and thread. Use it to read or summarise what was recently said in a channel, or to find a message to reply or react to; the bot must be a member.")]
    public async Task<List<SlackMessage>> GetChannelHistory(GetChannelHistoryInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        Required(input.Channel, "channel");
        var limit = Limit(input.Limit, "limit");
        var credentials = await CredentialsAsync(context);
        var messages = new List<SlackMessage>();
        string? cursor = null;
        do
        {
            var page = await slack.ReadAsync<SlackConversationsHistoryResponse>(credentials, "conversations.history",
            [
                ("channel", input.Channel),
                ("limit", Math.Min(MaxPage, limit - messages.Count).ToString(CultureInfo.InvariantCulture)),
                ("oldest", input.Oldest),
                ("latest", input.Latest),
                ("cursor", cursor),
            ], context.CancellationToken);
            messages.AddRange(page.Messages.Take(limit - messages.Count).Select(m => m.ToOutput()));
            cursor = page.HasMore ? page.ResponseMetadata?.NextCursor : null;
        }
        while (!string.IsNullOrEmpty(cursor) && messages.Count < limit);
        return messages;
    }

    [Task("Update Message", Description = "Changes the text of a Slack message the bot posted earlier with chat.update, keeping its ts, and returns the channel id, the ts and the new text. Use it to edit or correct a message that Send Message posted, e.g. to mark a status as done; Slack refuses other people's messages.")]
    public async Task<SlackMessageUpdated> UpdateMessage(UpdateMessageInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        Required(input.Channel, "channel");
        Required(input.Ts, "ts");
        MessageText(input.Text);
        var updated = await slack.WriteAsync<SlackUpdateMessageResponse>(await CredentialsAsync(context), "chat.update", new JsonObject
        {
            ["channel"] = input.Channel,
            ["ts"] = input.Ts,
            ["text"] = input.Text,
        }, context.CancellationToken);
        return new SlackMessageUpdated
        {
            Channel = updated.Channel ?? input.Channel,
            Ts = updated.Ts ?? input.Ts,
            Text = updated.Text ?? updated.Message?.Text ?? input.Text,
        };
    }

    [Task("Delete Message", Description = "Deletes a Slack message the bot posted earlier with chat.delete and returns the channel id and the deleted message's ts. Use it to remove or retract a message that Send Message posted, e.g. a notice that no longer holds; Slack refuses other people's messages.")]
    public async Task<SlackMessageDeleted> DeleteMessage(DeleteMessageInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        Required(input.Channel, "channel");
        Required(input.Ts, "ts");
        var deleted = await slack.WriteAsync<SlackDeleteMessageResponse>(await CredentialsAsync(context), "chat.delete", new JsonObject
        {
            ["channel"] = input.Channel,
            ["ts"] = input.Ts,
        }, context.CancellationToken);
        return new SlackMessageDeleted { Channel = deleted.Channel ?? input.Channel, Ts = deleted.Ts ?? input.Ts };
    }

    /// <summary>Calls <c>auth.test</c>, which tells who a token acts as.</summary>
    public async Task<CredentialCheckResult> CheckCredentialsAsync(IntegrationCredentials credentials, CancellationToken cancellationToken)
    {
        try
        {
            var me = await slack.WriteAsync<SlackAuthTestResponse>(credentials, "auth.test", new JsonObject(), cancellationToken);
            return new CredentialCheckResult(true, $"Slack accepted the credential: it acts as '{me.User}' ({me.UserId}) in workspace '{me.Team}' ({me.TeamId}).");
        }
        catch (Exception ex) when (ex is TaskFailedException or TransientTaskException)
        {
            return new CredentialCheckResult(false, ex.Message);
        }
    }

    private static Task<IntegrationCredentials> CredentialsAsync(TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Credentials.GetAsync(ShortName, context.CancellationToken);
    }

    private static void Required(string value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new TaskInputException(field, $"Input field '{field}' must not be empty.");
    }

    private static void MessageText(string text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxMessageLength)
            throw new TaskInputException("text", $"Input field 'text' must hold 1 to {MaxMessageLength} characters, not only spaces.");
    }

    private static int Limit(int value, string field) =>
        value is >= 1 and <= MaxItems
            ? value
            : throw new TaskInputException(field, string.Create(CultureInfo.InvariantCulture, $"Input field '{field}' must be between 1 and {MaxItems}; got {value}."));
}
