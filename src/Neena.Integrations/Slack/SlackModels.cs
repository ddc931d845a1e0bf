using System.ComponentModel;

namespace Neena.Integrations.Slack;

public sealed record SendMessageInput
{
    [Description("Where to post: a channel's id (C…, the id that List Channels returns) or a private channel or DM id, or a channel name such as #general. The bot must be a member of the channel.")]
    public required string Channel { get; init; }

    [Description("The message text, 1 to 40000 characters, in Slack mrkdwn (*bold*, _italic_, <https://example.com|links>, <@U123> to mention a user): often text composed by an earlier task.")]
    public required string Text { get; init; }

    [Description("The ts of the message to reply to in its thread (a ts such as 1700000000.000100, returned by Send Message or Get Channel History); left out, the message is posted to the channel itself.")]
    public string? ThreadTs { get; init; }
}

public sealed record SlackMessageSent
{
    [Description("The id of the channel the message was posted in (C…).")]
    public required string Channel { get; init; }

    [Description("The new message's ts (such as 1700000000.000100): its id within the channel, to reply in its thread or react to it.")]
    public required string Ts { get; init; }

    [Description("The message text as Slack stored it.")]
    public required string Text { get; init; }

    [Description("The ts of the thread's first message when the message is a reply; null otherwise.")]
    public string? ThreadTs { get; init; }
}

public sealed record ListChannelsInput
{
    [Description("Which kinds of conversation, comma-separated: public_channel (the default), private_channel, mpim (group DMs), im (DMs).")]
    public string Types { get; init; } = "public_channel";

    [Description("Whether to leave archived channels out (true, the default) or list them too (false).")]
    public bool ExcludeArchived { get; init; } = true;

    [Description("The most channels to return, 1 to 1000 (default 200); Slack's pages are followed until then.")]
    public int Limit { get; init; } = 200;
}

public sealed record SlackChannel
{
    [Description("The channel's id (C… or G…), which the other Slack tasks take as channel.")]
    public required string Id { get; init; }

    [Description("The channel's name without #, such as general.")]
    public required string Name { get; init; }

    [Description("Whether the channel is private.")]
    public required bool IsPrivate { get; init; }

    [Description("Whether the channel is archived (nobody can post in it).")]
    public required bool IsArchived { get; init; }

    [Description("Whether the bot is a member of the channel.")]
    public required bool IsMember { get; init; }

    [Description("How many members the channel has, when Slack says.")]
    public int? NumMembers { get; init; }

    [Description("The channel's topic (empty when none).")]
    public required string Topic { get; init; }

    [Description("The channel's purpose (empty when none).")]
    public required string Purpose { get; init; }
}

public sealed record FindUserByEmailInput
{
    [Description("The email address of a member of the workspace, such as ada@example.com, e.g. from the request's metadata.")]
    public required string Email { get; init; }
}

public sealed record SlackUser
{
    [Description("The user's id (U… or W…): mention them in a message's text as <@ID>.")]
    public required string Id { get; init; }

    [Description("The id of the user's workspace (T…).")]
    public string? TeamId { get; init; }

    [Description("The user's handle (their username, without @).")]
    public string? Name { get; init; }

    [Description("The user's full name, such as Ada Lovelace.")]
    public string? RealName { get; init; }

    [Description("The name the user chose to be shown (may be empty).")]
    public string? DisplayName { get; init; }

    [Description("The user's email address.")]
    public string? Email { get; init; }

    [Description("Whether the user is a bot.")]
    public required bool IsBot { get; init; }

    [Description("Whether the account is deactivated.")]
    public required bool Deleted { get; init; }

    [Description("The user's time zone, such as Europe/Paris.")]
    public string? TimeZone { get; init; }
}

public sealed record AddReactionInput
{
    [Description("The id of the channel the message is in (C…), as Send Message or List Channels returns it.")]
    public required string Channel { get; init; }

    [Description("The ts of the message to react to (such as 1700000000.000100), as Send Message or Get Channel History returns it.")]
    public required string Timestamp { get; init; }

    [Description("The emoji's name, such as thumbsup, eyes or white_check_mark (surrounding colons are removed).")]
    public required string Name { get; init; }
}

public sealed record SlackReactionAdded
{
    [Description("The id of the channel of the message.")]
    public required string Channel { get; init; }

    [Description("The ts of the message reacted to.")]
    public required string Timestamp { get; init; }

    [Description("The emoji's name, without colons.")]
    public required string Name { get; init; }
}

public sealed record GetChannelHistoryInput
{
    [Description("The id of the channel to read (C…), as List Channels returns it; the bot must be a member.")]
    public required string Channel { get; init; }

    [Description("The most messages to return, newest first, 1 to 1000 (default 20).")]
    public int Limit { get; init; } = 20;

    [Description("Only messages after this ts (a Unix time in seconds such as 1700000000.000000); left out, no lower bound.")]
    public string? Oldest { get; init; }

    [Description("Only messages before this ts (a Unix time in seconds such as 1700000000.000000); left out, up to now.")]
    public string? Latest { get; init; }
}

public sealed record SlackMessage
{
    [Description("The message's ts (such as 1700000000.000100): its id within the channel, to reply in its thread or react to it.")]
    public required string Ts { get; init; }

    [Description("The message text (Slack mrkdwn).")]
    public required string Text { get; init; }

    [Description("The id of the user who posted it (U…), if a user did.")]
    public string? User { get; init; }

    [Description("The id of the bot that posted it (B…), if a bot did.")]
    public string? BotId { get; init; }

    [Description("Slack's subtype for special messages (channel_join, bot_message, …); null for ordinary ones.")]
    public string? Subtype { get; init; }

    [Description("The ts of the thread's first message, when the message starts or belongs to a thread.")]
    public string? ThreadTs { get; init; }

    [Description("How many replies the thread has, for a thread's first message.")]
    public int? ReplyCount { get; init; }
}
