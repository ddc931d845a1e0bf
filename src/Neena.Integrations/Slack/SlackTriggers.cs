using System.ComponentModel;
using Neena.Integrations.Triggers;

namespace Neena.Integrations.Slack;

// The Events API POSTs {"type": "event_callback", "event_id": …, "event": {"type": "message", …}} to the app's request URL
// (https://api.slack.com/apis/events-api).

[Trigger("Message Posted", typeof(SlackIntegration), Event = "message", EntityField = "ts",
    Description = "A message was posted in a channel the app's bot is in (Events API message event).")]
public sealed record SlackMessagePosted
{
    [EventField("$.event.channel")]
    [Description("The id of the channel the message was posted in.")]
    public required string Channel { get; init; }

    [EventField("$.event.user")]
    [Description("The id of the user who posted it.")]
    public required string User { get; init; }

    [EventField("$.event.text")]
    [Description("The message text.")]
    public required string Text { get; init; }

    [EventField("$.event.ts")]
    [Description("The message's ts: its id within the channel (use it to reply in its thread or react).")]
    public required string Ts { get; init; }

    [EventField("$.event.thread_ts")]
    [Description("The ts of the thread's first message, when the message is a reply.")]
    public string? ThreadTs { get; init; }
}
