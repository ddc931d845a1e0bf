namespace Neena.Integrations.Slack;

// The Slack Web API's JSON (already snake_case). Every answer carries ok, and error when ok is false.

internal record SlackResponse
{
    public bool Ok { get; init; }
    public string? Error { get; init; }
    public SlackResponseMetadata? ResponseMetadata { get; init; }
}

internal sealed record SlackResponseMetadata(string? NextCursor);

internal sealed record SlackAuthTestResponse : SlackResponse
{
    public string? Team { get; init; }
    public string? TeamId { get; init; }
    public string? User { get; init; }
    public string? UserId { get; init; }
    public string? BotId { get; init; }
}

internal sealed record SlackMessageWire(string? Type, string? Subtype, string? User, string? BotId, string? Text, string Ts, string? ThreadTs, int? ReplyCount)
{
    public SlackMessage ToOutput() => new()
    {
        Ts = Ts,
        Text = Text ?? "",
        User = User,
        BotId = BotId,
        Subtype = Subtype,
        ThreadTs = ThreadTs,
        ReplyCount = ReplyCount,
    };
}

internal sealed record SlackPostMessageResponse : SlackResponse
{
    public string? Channel { get; init; }
    public string? Ts { get; init; }
    public SlackMessageWire? Message { get; init; }
}

internal sealed record SlackTextValue(string? Value);

internal sealed record SlackChannelWire(
    string Id,
    string? Name,
    bool IsChannel,
    bool IsPrivate,
    bool IsArchived,
    bool IsMember,
    int? NumMembers,
    SlackTextValue? Topic,
    SlackTextValue? Purpose)
{
    public SlackChannel ToOutput() => new()
    {
        Id = Id,
        Name = Name ?? "",
        IsPrivate = IsPrivate,
        IsArchived = IsArchived,
        IsMember = IsMember,
        NumMembers = NumMembers,
        Topic = Topic?.Value ?? "",
        Purpose = Purpose?.Value ?? "",
    };
}

internal sealed record SlackConversationsListResponse : SlackResponse
{
    public List<SlackChannelWire> Channels { get; init; } = [];
}

internal sealed record SlackConversationsHistoryResponse : SlackResponse
{
    public List<SlackMessageWire> Messages { get; init; } = [];
    public bool HasMore { get; init; }
}

internal sealed record SlackProfileWire(string? Email, string? RealName, string? DisplayName);

internal sealed record SlackUserWire(string Id, string? TeamId, string? Name, string? RealName, bool IsBot, bool Deleted, string? Tz, SlackProfileWire? Profile);

internal sealed record SlackUserResponse : SlackResponse
{
    public SlackUserWire? User { get; init; }
}

internal sealed record SlackUpdateMessageResponse : SlackResponse
{
    public string? Channel { get; init; }
    public string? Ts { get; init; }
    public string? Text { get; init; }
    public SlackMessageWire? Message { get; init; }
}

internal sealed record SlackDeleteMessageResponse : SlackResponse
{
    public string? Channel { get; init; }
    public string? Ts { get; init; }
}
