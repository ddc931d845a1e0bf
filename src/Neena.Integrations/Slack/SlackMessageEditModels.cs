using System.ComponentModel;

namespace Neena.Integrations.Slack;

// Update Message and Delete Message: the original's chat.update and chat.delete tasks.

public sealed record UpdateMessageInput
{
    [Description("The id of the channel the message is in (C…), as Send Message returns it.")]
    public required string Channel { get; init; }

    [Description("The ts of the message to change (such as 1700000000.000100), as Send Message returns it; the bot can change only its own messages.")]
    public required string Ts { get; init; }

    [Description("The message's new text, 1 to 40000 characters, in Slack mrkdwn: it replaces the whole old text.")]
    public required string Text { get; init; }
}

public sealed record SlackMessageUpdated
{
    [Description("The id of the channel the message is in (C…).")]
    public required string Channel { get; init; }

    [Description("The changed message's ts, the same as before: a message keeps its id when edited.")]
    public required string Ts { get; init; }

    [Description("The message's new text as Slack stored it.")]
    public required string Text { get; init; }
}

public sealed record DeleteMessageInput
{
    [Description("The id of the channel the message is in (C…), as Send Message returns it.")]
    public required string Channel { get; init; }

    [Description("The ts of the message to delete (such as 1700000000.000100), as Send Message returns it; the bot can delete only its own messages.")]
    public required string Ts { get; init; }
}

public sealed record SlackMessageDeleted
{
    [Description("The id of the channel the message was in (C…).")]
    public required string Channel { get; init; }

    [Description("The deleted message's ts.")]
    public required string Ts { get; init; }
}
