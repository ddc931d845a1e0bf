using System.ComponentModel;

namespace Neena.Integrations.Slack;

public sealed record SendMessageInput
{
    [Description("Where to post: a channel id (C…), a private channel or DM id, or a channel name such as #general. The bot must be a member.")]
    public required string Channel { get; init; }

    [Description("The message text (Slack mrkdwn: *bold*, _italic_, <https://example.com|links>).")]
    public required string Text { get; init; }

    [Description("The ts of a message to reply to in its thread; left out, the message is posted to the channel.")]
    public string? ThreadTs { get; init; }
}

public sealed record SlackMessageSent
{
    [Description("The id of the channel the message was posted in.")]
    public required string Channel { get; init; }

    [Description("The message's ts: its id within the channel (use it to reply or react).")]
    public required string Ts { get; init; }

    [Description("The text as Slack stored it.")]
    public required string Text { get; init; }

    [Description("The thread the message was posted in, if it is a reply.")]
    public string? ThreadTs { get; init; }
}

public sealed record ListChannelsInput
{
    [Description("Comma-separated conversation types: public_channel (default), private_channel, mpim, im.")]
    public string Types { get; init; } = "public_channel";

    [Description("Whether to leave archived channels out (default true).")]
    public bool ExcludeArchived { get; init; } = true;

    [Description("The most channels to return (1 to 1000, default 200); Slack's pages are followed until then.")]
    public int Limit { get; init; } = 200;
}

public sealed record SlackChannel
{
    [Description("The channel's id (C…).")]
    public required string Id { get; init; }

    [Description("The channel's name, without #.")]
    public required string Name { get; init; }

    [Description("Whether the channel is private.")]
    public required bool IsPrivate { get; init; }

    [Description("Whether the channel is archived.")]
    public required bool IsArchived { get; init; }

    [Description("Whether the bot is a member (it can post only where it is).")]
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
    [Description("The email address of a member of the workspace.")]
    public required string Email { get; init; }
}

public sealed record SlackUser
{
    [Description("The user's id (U… or W…): mention them as <@ID>.")]
    public required string Id { get; init; }

    [Description("The id of the user's workspace.")]
    public string? TeamId { get; init; }

    [Description("The user's handle.")]
    public string? Name { get; init; }

    [Description("The user's full name.")]
    public string? RealName { get; init; }

    [Description("The name the user chose to be shown.")]
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
    [Description("The id of the channel the message is in.")]
    public required string Channel { get; init; }

    [Description("The ts of the message to react to.")]
    public required string Timestamp { get; init; }

    [Description("The emoji's name, such as thumbsup (colons are optional).")]
    public required string Name { get; init; }
}

public sealed record SlackReactionAdded
{
    [Description("The channel of the message.")]
    public required string Channel { get; init; }

    [Description("The ts of the message.")]
    public required string Timestamp { get; init; }

    [Description("The emoji's name, without colons.")]
    public required string Name { get; init; }
}

public sealed record GetChannelHistoryInput
{
    [Description("The id of the channel to read; the bot must be a member.")]
    public required string Channel { get; init; }

    [Description("The most messages to return, newest first (1 to 1000, default 20).")]
    public int Limit { get; init; } = 20;

    [Description("Only messages after this ts (a Unix time such as 1700000000.000000).")]
    public string? Oldest { get; init; }

    [Description("Only messages before this ts.")]
    public string? Latest { get; init; }
}

public sealed record SlackMessage
{
    [Description("The message's ts: its id within the channel.")]
    public required string Ts { get; init; }

    [Description("The message text.")]
    public required string Text { get; init; }

    [Description("The id of the user who posted it, if a user did.")]
    public string? User { get; init; }

    [Description("The id of the bot that posted it, if a bot did.")]
    public string? BotId { get; init; }

    [Description("Slack's subtype for special messages (channel_join, bot_message, …); null for ordinary ones.")]
    public string? Subtype { get; init; }

    [Description("The ts of the thread's first message, when the message starts or belongs to a thread.")]
    public string? ThreadTs { get; init; }

    [Description("How many replies the thread has, for a thread's first message.")]
    public int? ReplyCount { get; init; }
}
