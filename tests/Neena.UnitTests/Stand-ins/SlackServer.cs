using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Neena.StandIns;

/// <summary>
/// The parts of the Slack Web API that Neena's Slack tasks use, as Slack documents them (https://api.slack.com/web):
/// methods at <c>/api/{method}</c>, GET with query arguments or POST with a form or JSON body (JSON only with the token
/// in <c>Authorization: Bearer</c>); every answer is HTTP 200 with <c>ok</c>, and <c>error</c> when it is false
/// (<c>not_authed</c>, <c>invalid_auth</c>, <c>invalid_arguments</c>, <c>channel_not_found</c>, <c>not_in_channel</c>,
/// <c>no_text</c>, <c>msg_too_long</c>, <c>users_not_found</c>, <c>already_reacted</c>, <c>message_not_found</c>,
/// <c>cant_update_message</c>, <c>cant_delete_message</c>, …); cursor pagination with
/// <c>response_metadata.next_cursor</c>; rate limits as HTTP 429 with <c>Retry-After</c> and <c>error: ratelimited</c>.
/// Channels, users, messages and reactions are kept in memory.
/// </summary>
public sealed class SlackServer : StandInHost
{
    public const string TeamId = "T0NEENA01";
    public const string TeamName = "Neena Test";
    public const string BotUserId = "U0BOT0001";
    public const string BotId = "B0BOT0001";
    public const string BotName = "neena-bot";

    // Slack refuses message text over 40,000 characters.
    private const int MaxTextLength = 40000;

    private readonly HashSet<string> _tokens = new(StringComparer.Ordinal);
    private readonly List<Channel> _channels = [];
    private readonly List<User> _users = [];
    private long _ts = 1_700_000_000_000_000;

    private SlackServer()
    {
    }

    /// <summary>The base URL as Neena's configuration takes it (<c>Integrations:Slack:BaseUrl</c>): the root plus <c>api/</c>.</summary>
    public string BaseUrl => new Uri(Root, "api/").ToString();

    public static async Task<SlackServer> StartAsync()
    {
        var server = new SlackServer();
        await server.ListenAsync();
        server.AddChannel("general", isMember: true);
        server.AddChannel("random", isMember: true);
        server.AddChannel("lobby", isMember: false);
        server.AddUser("grace@example.com", "grace", "Grace Hopper");
        return server;
    }

    /// <summary>A bot token of the workspace's app, with a signing secret, as Neena stores them.</summary>
    public SlackApp AddApp()
    {
        var app = new SlackApp("xoxb-" + Digits(12) + "-" + Digits(13) + "-" + Hex(12), Hex(16));
        lock (Sync)
            _tokens.Add(app.BotToken);
        return app;
    }

    public string AddChannel(string name, bool isMember = true, bool isPrivate = false, bool isArchived = false)
    {
        lock (Sync)
        {
            var channel = new Channel("C" + Digits(8), name, isPrivate, isArchived, isMember);
            _channels.Add(channel);
            return channel.Id;
        }
    }

    public string AddUser(string email, string name, string realName)
    {
        lock (Sync)
        {
            var user = new User("U" + Digits(8), email, name, realName);
            _users.Add(user);
            return user.Id;
        }
    }

    /// <summary>Posts a message as a user, as if someone wrote it in Slack; returns its ts.</summary>
    public string PostAsUser(string channelId, string userId, string text)
    {
        lock (Sync)
        {
            var message = new Message(NextTs(), text, userId, null, null);
            _channels.Single(c => c.Id == channelId).Messages.Add(message);
            return message.Ts;
        }
    }

    public string ChannelId(string name)
    {
        lock (Sync)
            return _channels.Single(c => c.Name == name).Id;
    }

    /// <summary>The messages of a channel, oldest first: (ts, text, thread_ts, user, bot_id).</summary>
    public IReadOnlyList<(string Ts, string Text, string? ThreadTs, string? User, string? BotId)> Messages(string channelId)
    {
        lock (Sync)
            return _channels.Single(c => c.Id == channelId).Messages.Select(m => (m.Ts, m.Text, m.ThreadTs, m.User, m.BotId)).ToList();
    }

    /// <summary>The reactions of a message: emoji name → the users who reacted.</summary>
    public IReadOnlyDictionary<string, List<string>> Reactions(string channelId, string ts)
    {
        lock (Sync)
            return _channels.Single(c => c.Id == channelId).Messages.Single(m => m.Ts == ts).Reactions.ToDictionary(p => p.Key, p => p.Value.ToList());
    }

    /// <summary>The next requests get Slack's rate limit: HTTP 429, <c>Retry-After</c>, <c>{"ok": false, "error": "ratelimited"}</c>.</summary>
    public void RateLimitNext(int count, int retryAfterSeconds) => Interrupt(count, async context =>
    {
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        await context.Response.WriteAsJsonAsync(new { ok = false, error = "ratelimited" });
    });

    /// <summary>The next requests fail with <paramref name="status"/>, as a failing Slack front end answers.</summary>
    public void FailNext(int count, int status = StatusCodes.Status503ServiceUnavailable) => Interrupt(count, async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html";
        await context.Response.WriteAsync("<html><body>Service Unavailable</body></html>");
    });

    protected override void Map(WebApplication app) =>
        app.MapMethods("/api/{method}", ["GET", "POST"], (HttpContext http, string method) =>
        {
            if (!Authenticated(http, out var error))
                return Answer(new JsonObject { ["ok"] = false, ["error"] = error });
            lock (Sync)
            {
                return method switch
                {
                    "auth.test" => Answer(new JsonObject
                    {
                        ["ok"] = true,
                        ["url"] = "https://neena-test.slack.com/",
                        ["team"] = TeamName,
                        ["user"] = BotName,
                        ["team_id"] = TeamId,
                        ["user_id"] = BotUserId,
                        ["bot_id"] = BotId,
                        ["is_enterprise_install"] = false,
                    }),
                    "chat.postMessage" => PostMessage(http),
                    "chat.update" => UpdateMessage(http),
                    "chat.delete" => DeleteMessage(http),
                    "conversations.list" => ListConversations(http),
                    "conversations.history" => History(http),
                    "users.lookupByEmail" => LookupByEmail(http),
                    "reactions.add" => AddReaction(http),
                    _ => Results.Text(new JsonObject { ["ok"] = false, ["error"] = "unknown_method" }.ToJsonString(), "application/json", statusCode: 404),
                };
            }
        });

    private bool Authenticated(HttpContext http, out string error)
    {
        var header = http.Request.Headers.Authorization.ToString();
        var isJson = http.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true;
        string? token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : null;
        // A JSON body cannot carry the token: Slack reads it only from the header then.
        token ??= isJson ? null : Param(http, "token");
        lock (Sync)
        {
            error = token is null ? "not_authed" : _tokens.Contains(token) ? "" : "invalid_auth";
            return error.Length == 0;
        }
    }

    private IResult PostMessage(HttpContext http)
    {
        if (FindChannel(Param(http, "channel"), out var channel) is { } missing)
            return missing;
        var text = Param(http, "text");
        if (string.IsNullOrEmpty(text))
            return Error("no_text");
        var threadTs = Param(http, "thread_ts");
        var message = new Message(NextTs(), text, BotUserId, BotId, string.IsNullOrEmpty(threadTs) ? null : threadTs);
        channel!.Messages.Add(message);
        return Answer(new JsonObject
        {
            ["ok"] = true,
            ["channel"] = channel.Id,
            ["ts"] = message.Ts,
            ["message"] = message.Json(),
        });
    }

    /// <summary>chat.update: a bot token may change only the bot's own messages; the message keeps its ts and gains <c>edited</c>.</summary>
    private IResult UpdateMessage(HttpContext http)
    {
        if (Edited(http, "cant_update_message", out var channel, out var index) is { } refused)
            return refused;
        var text = Param(http, "text");
        if (string.IsNullOrEmpty(text))
            return Error("no_text");
        if (text.Length > MaxTextLength)
            return Error("msg_too_long");
        var message = channel!.Messages[index] with { Text = text, EditedTs = NextTs() };
        channel.Messages[index] = message;
        return Answer(new JsonObject
        {
            ["ok"] = true,
            ["channel"] = channel.Id,
            ["ts"] = message.Ts,
            ["text"] = message.Text,
            ["message"] = message.Json(),
        });
    }

    /// <summary>chat.delete: a bot token may delete only the bot's own messages.</summary>
    private IResult DeleteMessage(HttpContext http)
    {
        if (Edited(http, "cant_delete_message", out var channel, out var index) is { } refused)
            return refused;
        var message = channel!.Messages[index];
        channel.Messages.RemoveAt(index);
        return Answer(new JsonObject { ["ok"] = true, ["channel"] = channel.Id, ["ts"] = message.Ts });
    }

    /// <summary>The bot's message that chat.update or chat.delete names by <c>channel</c> and <c>ts</c>, or Slack's error.</summary>
    private IResult? Edited(HttpContext http, string notTheBots, out Channel? channel, out int index)
    {
        index = -1;
        channel = null;
        var ts = Param(http, "ts");
        if (string.IsNullOrEmpty(Param(http, "channel")) || string.IsNullOrEmpty(ts))
            return Error("invalid_arguments");
        if (FindChannel(Param(http, "channel"), out channel) is { } missing)
            return missing;
        index = channel!.Messages.FindIndex(m => m.Ts == ts);
        if (index < 0)
            return Error("message_not_found");
        return channel.Messages[index].BotId == BotId ? null : Error(notTheBots);
    }

    private IResult ListConversations(HttpContext http)
    {
        var types = (Param(http, "types") ?? "public_channel").Split(',');
        var excludeArchived = Param(http, "exclude_archived") is "true" or "1";
        var visible = _channels
            .Where(c => c.IsPrivate ? types.Contains("private_channel") && c.IsMember : types.Contains("public_channel"))
            .Where(c => !excludeArchived || !c.IsArchived)
            .ToList();
        var (page, next) = Page(visible, http, defaultLimit: 100, maxLimit: 1000);
        return Answer(new JsonObject
        {
            ["ok"] = true,
            ["channels"] = new JsonArray(page.Select(c => (JsonNode)c.Json()).ToArray()),
            ["response_metadata"] = new JsonObject { ["next_cursor"] = next ?? "" },
        });
    }

    private IResult History(HttpContext http)
    {
        if (FindChannel(Param(http, "channel"), out var channel) is { } missing)
            return missing;
        var oldest = Param(http, "oldest");
        var latest = Param(http, "latest");
        var messages = channel!.Messages
            .Where(m => oldest is null || string.CompareOrdinal(m.Ts, oldest) > 0)
            .Where(m => latest is null || string.CompareOrdinal(m.Ts, latest) < 0)
            .OrderByDescending(m => m.Ts, StringComparer.Ordinal)
            .ToList();
        var (page, next) = Page(messages, http, defaultLimit: 100, maxLimit: 999);
        return Answer(new JsonObject
        {
            ["ok"] = true,
            ["messages"] = new JsonArray(page.Select(m => (JsonNode)m.Json()).ToArray()),
            ["has_more"] = next is not null,
            ["pin_count"] = 0,
            ["response_metadata"] = new JsonObject { ["next_cursor"] = next ?? "" },
        });
    }

    private IResult LookupByEmail(HttpContext http)
    {
        var email = Param(http, "email");
        if (string.IsNullOrEmpty(email))
            return Error("invalid_arguments");
        var user = _users.FirstOrDefault(u => string.Equals(u.Email, email, StringComparison.OrdinalIgnoreCase));
        if (user is null)
            return Error("users_not_found");
        return Answer(new JsonObject
        {
            ["ok"] = true,
            ["user"] = new JsonObject
            {
                ["id"] = user.Id,
                ["team_id"] = TeamId,
                ["name"] = user.Name,
                ["deleted"] = false,
                ["real_name"] = user.RealName,
                ["tz"] = "Europe/London",
                ["is_bot"] = false,
                ["profile"] = new JsonObject { ["email"] = user.Email, ["real_name"] = user.RealName, ["display_name"] = user.Name },
            },
        });
    }

    private IResult AddReaction(HttpContext http)
    {
        var name = Param(http, "name");
        var ts = Param(http, "timestamp");
        if (string.IsNullOrEmpty(ts))
            return Error("no_item_specified");
        if (string.IsNullOrEmpty(name) || name.Contains(':', StringComparison.Ordinal) || name.Contains(' ', StringComparison.Ordinal))
            return Error("invalid_name");
        if (FindChannel(Param(http, "channel"), out var channel) is { } missing)
            return missing;
        var message = channel!.Messages.FirstOrDefault(m => m.Ts == ts);
        if (message is null)
            return Error("message_not_found");
        var users = message.Reactions.TryGetValue(name, out var existing) ? existing : message.Reactions[name] = [];
        if (users.Contains(BotUserId))
            return Error("already_reacted");
        users.Add(BotUserId);
        return Answer(new JsonObject { ["ok"] = true });
    }

    private IResult? FindChannel(string? idOrName, out Channel? channel)
    {
        channel = idOrName is null ? null : _channels.FirstOrDefault(c => c.Id == idOrName || "#" + c.Name == idOrName);
        if (channel is null || (channel.IsPrivate && !channel.IsMember))
            return Error("channel_not_found");
        if (!channel.IsMember)
            return Error("not_in_channel");
        return channel.IsArchived ? Error("is_archived") : null;
    }

    /// <summary>Slack's cursor pagination: <c>limit</c> items from the opaque <c>cursor</c>, and the cursor of the rest.</summary>
    private static (List<T> Page, string? Next) Page<T>(List<T> items, HttpContext http, int defaultLimit, int maxLimit)
    {
        var limit = int.TryParse(Param(http, "limit"), NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l > 0 ? Math.Min(l, maxLimit) : defaultLimit;
        var offset = 0;
        if (Param(http, "cursor") is { Length: > 0 } cursor)
            offset = int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(cursor)).Split(':')[1], CultureInfo.InvariantCulture);
        var page = items.Skip(offset).Take(limit).ToList();
        var next = offset + page.Count < items.Count ? Convert.ToBase64String(Encoding.UTF8.GetBytes($"offset:{offset + page.Count}")) : null;
        return (page, next);
    }

    private string NextTs()
    {
        var micros = Interlocked.Increment(ref _ts);
        return string.Create(CultureInfo.InvariantCulture, $"{micros / 1_000_000}.{micros % 1_000_000:D6}");
    }

    private static IResult Error(string error) => Answer(new JsonObject { ["ok"] = false, ["error"] = error });

    private static IResult Answer(JsonObject body) => Results.Text(body.ToJsonString(), "application/json; charset=utf-8");

    private static string Digits(int count) => string.Concat(Enumerable.Range(0, count).Select(_ => (char)('0' + RandomNumberGenerator.GetInt32(10))));

    private static string Hex(int bytes) => Convert.ToHexString(RandomNumberGenerator.GetBytes(bytes)).ToLowerInvariant();

    private sealed record Channel(string Id, string Name, bool IsPrivate, bool IsArchived, bool IsMember)
    {
        public List<Message> Messages { get; } = [];

        public JsonObject Json() => new()
        {
            ["id"] = Id,
            ["name"] = Name,
            ["is_channel"] = !IsPrivate,
            ["is_group"] = false,
            ["is_im"] = false,
            ["is_private"] = IsPrivate,
            ["is_archived"] = IsArchived,
            ["is_member"] = IsMember,
            ["num_members"] = 3,
            ["topic"] = new JsonObject { ["value"] = $"All about {Name}", ["creator"] = "", ["last_set"] = 0 },
            ["purpose"] = new JsonObject { ["value"] = "", ["creator"] = "", ["last_set"] = 0 },
        };
    }

    private sealed record User(string Id, string Email, string Name, string RealName);

    private sealed record Message(string Ts, string Text, string? User, string? BotId, string? ThreadTs)
    {
        // Shared by an edited copy (with): editing a message keeps its reactions.
        public Dictionary<string, List<string>> Reactions { get; } = new(StringComparer.Ordinal);

        public string? EditedTs { get; init; }

        public JsonObject Json()
        {
            var json = new JsonObject { ["type"] = "message", ["text"] = Text, ["ts"] = Ts };
            if (User is not null)
                json["user"] = User;
            if (BotId is not null)
                json["bot_id"] = BotId;
            if (ThreadTs is not null)
                json["thread_ts"] = ThreadTs;
            if (EditedTs is not null)
                json["edited"] = new JsonObject { ["user"] = User, ["ts"] = EditedTs };
            if (Reactions.Count > 0)
                json["reactions"] = new JsonArray(Reactions.Select(r => (JsonNode)new JsonObject { ["name"] = r.Key, ["count"] = r.Value.Count }).ToArray());
            return json;
        }
    }
}

/// <summary>A Slack app installed in the stand-in's workspace, with the credential fields Neena stores for Slack.</summary>
public sealed record SlackApp(string BotToken, string SigningSecret)
{
    public Dictionary<string, string> CredentialFields() => new()
    {
        ["bot_token"] = BotToken,
        ["signing_secret"] = SigningSecret,
    };
}
