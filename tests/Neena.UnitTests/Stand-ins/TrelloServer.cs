using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Neena.StandIns;

/// <summary>
/// The parts of the Trello REST API v1 that Neena's Trello tasks use, as Trello documents them
/// (https://developer.atlassian.com/cloud/trello/rest/): paths under <c>/1/</c>; the key and token as <c>key</c>/<c>token</c>
/// query parameters or in <c>Authorization: OAuth oauth_consumer_key="…", oauth_token="…"</c>; parameters from the query
/// string (or a form or JSON body); camelCase JSON answers; errors as Trello gives them (401 <c>invalid key</c>,
/// <c>invalid token</c>, <c>unauthorized permission requested</c>; 400 <c>invalid id</c>, <c>invalid value for name</c>;
/// 404 <c>The requested resource was not found.</c>); 429 rate limits with Trello's JSON error. Boards, lists, cards and
/// comments are kept in memory, per member, so a flow can create and read them back.
/// </summary>
public sealed partial class TrelloServer : StandInHost
{
    private readonly Dictionary<string, Member> _membersByToken = new(StringComparer.Ordinal);
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Board> _boards = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TrelloListRow> _lists = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Card> _cards = new(StringComparer.Ordinal);
    private readonly List<JsonObject> _actions = [];
    private long _clock = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private TrelloServer()
    {
    }

    /// <summary>The base URL as Neena's configuration takes it (<c>Integrations:Trello:BaseUrl</c>): the root plus <c>1/</c>.</summary>
    public string BaseUrl => new Uri(Root, "1/").ToString();

    public static async Task<TrelloServer> StartAsync()
    {
        var server = new TrelloServer();
        await server.ListenAsync();
        return server;
    }

    /// <summary>A Trello member with an API key and a token that acts as them.</summary>
    public TrelloAccount AddAccount(string username = "ada", string fullName = "Ada Lovelace")
    {
        var account = new TrelloAccount(NewId(), username, fullName, Hex(16), Hex(32), Hex(32));
        lock (Sync)
        {
            _keys.Add(account.ApiKey);
            _membersByToken[account.Token] = new Member(account.MemberId, username, fullName, account.ApiKey);
        }

        return account;
    }

    public IReadOnlyList<JsonObject> Boards() => Snapshot(() => _boards.Values.Select(b => b.Json()).ToList());

    public IReadOnlyList<JsonObject> Lists() => Snapshot(() => _lists.Values.Select(l => l.Json()).ToList());

    public IReadOnlyList<JsonObject> Cards() => Snapshot(() => _cards.Values.Select(c => c.Json(this)).ToList());

    /// <summary>The actions Trello recorded (createBoard, createList, createCard, commentCard, …), oldest first.</summary>
    public IReadOnlyList<JsonObject> Actions() => Snapshot(() => _actions.Select(a => (JsonObject)a.DeepClone()).ToList());

    /// <summary>The next requests get Trello's 429 (<c>API_TOKEN_LIMIT_EXCEEDED</c>), with <c>Retry-After</c> when given.</summary>
    public void RateLimitNext(int count, int? retryAfterSeconds = null) => Interrupt(count, async context =>
    {
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        if (retryAfterSeconds is { } seconds)
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await context.Response.WriteAsJsonAsync(new { error = "API_TOKEN_LIMIT_EXCEEDED", message = "Rate limit exceeded" });
    });

    /// <summary>The next requests fail with <paramref name="status"/> (a 5xx, as a failing Trello front end answers).</summary>
    public void FailNext(int count, int status = StatusCodes.Status503ServiceUnavailable) => Interrupt(count, async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync("Service Unavailable");
    });

    protected override void Map(WebApplication app)
    {
        var api = app.MapGroup("/1");
        api.AddEndpointFilter(async (context, next) =>
        {
            var failure = Authenticate(context.HttpContext, out var member);
            if (failure is not null)
                return failure;
            context.HttpContext.Items[nameof(Member)] = member;
            return await next(context);
        });

        api.MapGet("/members/me", (HttpContext http) =>
        {
            var me = Me(http);
            return Json(Fields(new JsonObject { ["id"] = me.Id, ["username"] = me.Username, ["fullName"] = me.FullName, ["url"] = $"https://trello.com/{me.Username}" }, http));
        });

        api.MapGet("/members/me/boards", (HttpContext http) =>
        {
            var me = Me(http);
            var filter = Param(http, "filter") ?? "all";
            lock (Sync)
            {
                var boards = _boards.Values.Where(b => b.OwnerId == me.Id).Where(b => filter switch
                {
                    "open" => !b.Closed,
                    "closed" => b.Closed,
                    _ => true,
                });
                return Json(new JsonArray(boards.Select(b => (JsonNode)Fields(b.Json(), http)).ToArray()));
            }
        });

        api.MapPost("/boards/", CreateBoard);
        api.MapGet("/boards/{id}", (HttpContext http, string id) => WithBoard(http, id, board => Json(Fields(board.Json(), http))));
        api.MapPut("/boards/{id}", (HttpContext http, string id) => WithBoard(http, id, board =>
        {
            if (Param(http, "name") is { } name)
            {
                if (name.Length == 0)
                    return Text(400, "invalid value for name");
                board.Name = name;
            }

            board.Desc = Param(http, "desc") ?? board.Desc;
            if (Param(http, "closed") is { } closed)
                board.Closed = closed == "true";
            return Json(board.Json());
        }));
        api.MapDelete("/boards/{id}", (HttpContext http, string id) => WithBoard(http, id, board =>
        {
            _boards.Remove(board.Id);
            foreach (var list in _lists.Values.Where(l => l.IdBoard == board.Id).ToList())
                _lists.Remove(list.Id);
            foreach (var card in _cards.Values.Where(c => c.IdBoard == board.Id).ToList())
                _cards.Remove(card.Id);
            return Json(new JsonObject { ["_value"] = null });
        }));
        api.MapGet("/boards/{id}/lists", (HttpContext http, string id) => WithBoard(http, id, board =>
        {
            var filter = Param(http, "filter") ?? "open";
            var lists = _lists.Values.Where(l => l.IdBoard == board.Id).Where(l => filter switch
            {
                "open" => !l.Closed,
                "closed" => l.Closed,
                "none" => false,
                _ => true,
            }).OrderBy(l => l.Pos);
            return Json(new JsonArray(lists.Select(l => (JsonNode)Fields(l.Json(), http)).ToArray()));
        }));

        api.MapPost("/lists", (HttpContext http) =>
        {
            var name = Param(http, "name");
            if (string.IsNullOrEmpty(name))
                return Text(400, "invalid value for name");
            var boardId = Param(http, "idBoard");
            if (boardId is null || !IsId(boardId))
                return Text(400, "invalid value for idBoard");
            return WithBoard(http, boardId, board =>
            {
                var siblings = _lists.Values.Where(l => l.IdBoard == board.Id).Select(l => l.Pos).ToList();
                var list = new TrelloListRow(NewId(), name, board.Id) { Pos = Position(Param(http, "pos") ?? "bottom", siblings) };
                _lists[list.Id] = list;
                Record("createList", Me(http), new JsonObject { ["list"] = Ref(list.Id, list.Name), ["board"] = Ref(board.Id, board.Name) });
                return Json(list.Json());
            });
        });
        api.MapGet("/lists/{id}", (HttpContext http, string id) => WithList(http, id, list => Json(Fields(list.Json(), http))));
        api.MapPut("/lists/{id}", (HttpContext http, string id) => WithList(http, id, list =>
        {
            if (Param(http, "idBoard") is { } boardId)
            {
                if (!_boards.TryGetValue(boardId, out var board) || board.OwnerId != Me(http).Id)
                    return Text(400, "invalid value for idBoard");
                list.IdBoard = boardId;
            }

            if (Param(http, "name") is { } name)
                list.Name = name;
            if (Param(http, "closed") is { } closed)
                list.Closed = closed == "true";
            if (Param(http, "pos") is { } pos)
                list.Pos = Position(pos, _lists.Values.Where(l => l.IdBoard == list.IdBoard && l != list).Select(l => l.Pos).ToList());
            return Json(list.Json());
        }));
        api.MapGet("/lists/{id}/cards", (HttpContext http, string id) => WithList(http, id, list =>
        {
            var cards = _cards.Values.Where(c => c.IdList == list.Id && !c.Closed).OrderBy(c => c.Pos);
            return Json(new JsonArray(cards.Select(c => (JsonNode)Fields(c.Json(this), http)).ToArray()));
        }));

        api.MapPost("/cards", (HttpContext http) =>
        {
            var listId = Param(http, "idList");
            if (listId is null || !IsId(listId))
                return Text(400, "invalid value for idList");
            return WithList(http, listId, list =>
            {
                var siblings = _cards.Values.Where(c => c.IdList == list.Id).Select(c => c.Pos).ToList();
                var card = new Card(NewId(), Param(http, "name") ?? "", list.Id, list.IdBoard)
                {
                    Desc = Param(http, "desc") ?? "",
                    Due = Due(Param(http, "due")),
                    Pos = Position(Param(http, "pos") ?? "bottom", siblings),
                    IdShort = _cards.Values.Count(c => c.IdBoard == list.IdBoard) + 1,
                };
                _cards[card.Id] = card;
                Record("createCard", Me(http), new JsonObject
                {
                    ["card"] = new JsonObject { ["id"] = card.Id, ["name"] = card.Name, ["idShort"] = card.IdShort, ["shortLink"] = card.ShortLink },
                    ["list"] = Ref(list.Id, list.Name),
                    ["board"] = Ref(list.IdBoard, _boards[list.IdBoard].Name),
                });
                return Json(card.Json(this));
            });
        });
        api.MapGet("/cards/{id}", (HttpContext http, string id) => WithCard(http, id, card => Json(Fields(card.Json(this), http))));
        api.MapPut("/cards/{id}", (HttpContext http, string id) => WithCard(http, id, card =>
        {
            if (Param(http, "idList") is { } listId)
            {
                if (!_lists.TryGetValue(listId, out var list) || _boards[list.IdBoard].OwnerId != Me(http).Id)
                    return Text(400, "invalid value for idList");
                card.IdList = list.Id;
                card.IdBoard = list.IdBoard;
            }

            if (Param(http, "name") is { } name)
                card.Name = name;
            card.Desc = Param(http, "desc") ?? card.Desc;
            if (Param(http, "closed") is { } closed)
                card.Closed = closed == "true";
            if (Param(http, "due") is { } due)
                card.Due = Due(due);
            if (Param(http, "pos") is { } pos)
                card.Pos = Position(pos, _cards.Values.Where(c => c.IdList == card.IdList && c != card).Select(c => c.Pos).ToList());
            return Json(card.Json(this));
        }));
        api.MapDelete("/cards/{id}", (HttpContext http, string id) => WithCard(http, id, card =>
        {
            _cards.Remove(card.Id);
            return Json(new JsonObject { ["limits"] = new JsonObject() });
        }));
        api.MapPost("/cards/{id}/actions/comments", (HttpContext http, string id) => WithCard(http, id, card =>
        {
            var text = Param(http, "text");
            if (string.IsNullOrEmpty(text))
                return Text(400, "invalid value for text");
            var list = _lists[card.IdList];
            var action = Record("commentCard", Me(http), new JsonObject
            {
                ["text"] = text,
                ["card"] = new JsonObject { ["id"] = card.Id, ["name"] = card.Name, ["idShort"] = card.IdShort, ["shortLink"] = card.ShortLink },
                ["board"] = Ref(card.IdBoard, _boards[card.IdBoard].Name),
                ["list"] = Ref(list.Id, list.Name),
            });
            return Json(action.DeepClone());
        }));
    }

    /// <summary>The token a recorded request authenticated with (<c>token</c> query parameter or OAuth header), if any.</summary>
    public static string? TokenOf(RecordedRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var fromQuery = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(request.Query).TryGetValue("token", out var token) ? token.ToString() : null;
        return fromQuery ?? (request.Authorization is { } header && header.StartsWith("OAuth ", StringComparison.Ordinal) ? OAuthValue(header, "oauth_token") : null);
    }

    /// <summary>The comments made on a card, oldest first.</summary>
    public IReadOnlyList<string> Comments(string cardId) => Snapshot(() => _actions
        .Where(a => a["type"]!.GetValue<string>() == "commentCard" && a["data"]!["card"]!["id"]!.GetValue<string>() == cardId)
        .Select(a => a["data"]!["text"]!.GetValue<string>())
        .ToList());

    private IResult CreateBoard(HttpContext http)
    {
        var name = Param(http, "name");
        if (string.IsNullOrEmpty(name))
            return Text(400, "invalid value for name");
        var me = Me(http);
        lock (Sync)
        {
            var board = new Board(NewId(), name, me.Id) { Desc = Param(http, "desc") ?? "", IdOrganization = Param(http, "idOrganization") };
            _boards[board.Id] = board;
            Record("createBoard", me, new JsonObject { ["board"] = Ref(board.Id, board.Name) });
            if (Param(http, "defaultLists") != "false")
            {
                var pos = 16384.0;
                foreach (var listName in new[] { "To Do", "Doing", "Done" })
                {
                    var list = new TrelloListRow(NewId(), listName, board.Id) { Pos = pos };
                    _lists[list.Id] = list;
                    pos += 16384;
                }
            }

            return Json(board.Json());
        }
    }

    private IResult? Authenticate(HttpContext http, out Member? member)
    {
        member = null;
        string? key = http.Request.Query["key"].FirstOrDefault();
        string? token = http.Request.Query["token"].FirstOrDefault();
        var header = http.Request.Headers.Authorization.ToString();
        if (header.StartsWith("OAuth ", StringComparison.Ordinal))
        {
            key ??= OAuthValue(header, "oauth_consumer_key");
            token ??= OAuthValue(header, "oauth_token");
        }

        lock (Sync)
        {
            if (key is null || !_keys.Contains(key))
                return Text(401, "invalid key");
            if (token is null || !_membersByToken.TryGetValue(token, out var found) || found.ApiKey != key)
                return Text(401, "invalid token");
            member = found;
            return null;
        }
    }

    private IResult WithBoard(HttpContext http, string id, Func<Board, IResult> action)
    {
        if (!IsId(id))
            return Text(400, "invalid id");
        lock (Sync)
        {
            if (!_boards.TryGetValue(id, out var board))
                return Text(404, "The requested resource was not found.");
            return board.OwnerId == Me(http).Id ? action(board) : Text(401, "unauthorized permission requested");
        }
    }

    private IResult WithList(HttpContext http, string id, Func<TrelloListRow, IResult> action)
    {
        if (!IsId(id))
            return Text(400, "invalid id");
        lock (Sync)
        {
            if (!_lists.TryGetValue(id, out var list))
                return Text(404, "The requested resource was not found.");
            return _boards[list.IdBoard].OwnerId == Me(http).Id ? action(list) : Text(401, "unauthorized permission requested");
        }
    }

    private IResult WithCard(HttpContext http, string id, Func<Card, IResult> action)
    {
        if (!IsId(id))
            return Text(400, "invalid id");
        lock (Sync)
        {
            if (!_cards.TryGetValue(id, out var card))
                return Text(404, "The requested resource was not found.");
            return _boards[card.IdBoard].OwnerId == Me(http).Id ? action(card) : Text(401, "unauthorized permission requested");
        }
    }

    private JsonObject Record(string type, Member member, JsonObject data)
    {
        var action = new JsonObject
        {
            ["id"] = NewId(),
            ["idMemberCreator"] = member.Id,
            ["data"] = data,
            ["type"] = type,
            ["date"] = DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Increment(ref _clock)).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["memberCreator"] = new JsonObject { ["id"] = member.Id, ["username"] = member.Username, ["fullName"] = member.FullName },
        };
        _actions.Add(action);
        return action;
    }

    private T Snapshot<T>(Func<T> read)
    {
        lock (Sync)
            return read();
    }

    private static Member Me(HttpContext http) => (Member)http.Items[nameof(Member)]!;

    /// <summary>Trello's <c>fields</c> parameter: only the named fields (and the id), unless it says <c>all</c>.</summary>
    private static JsonObject Fields(JsonObject json, HttpContext http)
    {
        var fields = Param(http, "fields");
        if (fields is null or "all")
            return json;
        var wanted = fields.Split(',').ToHashSet(StringComparer.Ordinal);
        var result = new JsonObject();
        foreach (var (name, value) in json)
        {
            if (name == "id" || wanted.Contains(name))
                result[name] = value?.DeepClone();
        }

        return result;
    }

    private static double Position(string pos, List<double> siblings) => pos switch
    {
        "top" => siblings.Count == 0 ? 16384 : siblings.Min() / 2,
        "bottom" => siblings.Count == 0 ? 16384 : siblings.Max() + 16384,
        _ => double.Parse(pos, CultureInfo.InvariantCulture),
    };

    private static DateTimeOffset? Due(string? value) =>
        string.IsNullOrEmpty(value) || value == "null" ? null : DateTimeOffset.Parse(value, CultureInfo.InvariantCulture);

    private static JsonObject Ref(string id, string name) => new() { ["id"] = id, ["name"] = name };

    private static IResult Json(JsonNode node) => Results.Text(node.ToJsonString(), "application/json; charset=utf-8");

    private static IResult Text(int status, string text) => Results.Text(text, "text/plain; charset=utf-8", statusCode: status);

    private static string? OAuthValue(string header, string name)
    {
        var match = Regex.Match(header, name + "=\"([^\"]*)\"");
        return match.Success ? match.Groups[1].Value : null;
    }

    private static bool IsId(string value) => IdPattern().IsMatch(value);

    private static string NewId() => Hex(12);

    private static string Hex(int bytes) => Convert.ToHexString(RandomNumberGenerator.GetBytes(bytes)).ToLowerInvariant();

    [GeneratedRegex("^[0-9a-f]{24}$")]
    private static partial Regex IdPattern();

    private sealed record Member(string Id, string Username, string FullName, string ApiKey);

    private sealed class Board(string id, string name, string ownerId)
    {
        public string Id { get; } = id;
        public string Name { get; set; } = name;
        public string OwnerId { get; } = ownerId;
        public string Desc { get; set; } = "";
        public bool Closed { get; set; }
        public string? IdOrganization { get; init; }
        public string ShortLink { get; } = Hex(4);

        public JsonObject Json() => new()
        {
            ["id"] = Id,
            ["name"] = Name,
            ["desc"] = Desc,
            ["descData"] = null,
            ["closed"] = Closed,
            ["idOrganization"] = IdOrganization,
            ["pinned"] = false,
            ["url"] = $"https://trello.com/b/{ShortLink}/{Slug(Name)}",
            ["shortUrl"] = $"https://trello.com/b/{ShortLink}",
        };
    }

    private sealed class TrelloListRow(string id, string name, string idBoard)
    {
        public string Id { get; } = id;
        public string Name { get; set; } = name;
        public string IdBoard { get; set; } = idBoard;
        public bool Closed { get; set; }
        public double Pos { get; set; }

        public JsonObject Json() => new() { ["id"] = Id, ["name"] = Name, ["closed"] = Closed, ["idBoard"] = IdBoard, ["pos"] = Pos, ["subscribed"] = false };
    }

    private sealed class Card(string id, string name, string idList, string idBoard)
    {
        public string Id { get; } = id;
        public string Name { get; set; } = name;
        public string IdList { get; set; } = idList;
        public string IdBoard { get; set; } = idBoard;
        public string Desc { get; set; } = "";
        public bool Closed { get; set; }
        public DateTimeOffset? Due { get; set; }
        public double Pos { get; set; }
        public int IdShort { get; init; }
        public string ShortLink { get; } = Hex(4);

        public JsonObject Json(TrelloServer server) => new()
        {
            ["id"] = Id,
            ["name"] = Name,
            ["desc"] = Desc,
            ["closed"] = Closed,
            ["idList"] = IdList,
            ["idBoard"] = IdBoard,
            ["due"] = Due?.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["pos"] = Pos,
            ["idShort"] = IdShort,
            ["shortLink"] = ShortLink,
            ["url"] = $"https://trello.com/c/{ShortLink}/{IdShort}-{Slug(Name)}",
            ["shortUrl"] = $"https://trello.com/c/{ShortLink}",
            ["labels"] = new JsonArray(),
            ["idMembers"] = new JsonArray(),
            ["badges"] = new JsonObject { ["comments"] = server._actions.Count(a => a["type"]!.GetValue<string>() == "commentCard" && a["data"]!["card"]!["id"]!.GetValue<string>() == Id) },
        };
    }

    private static string Slug(string name) => Regex.Replace(name.ToLowerInvariant(), "[^a-z0-9]+", "-").Trim('-');
}

/// <summary>A Trello member of the stand-in with the credential fields Neena stores for Trello.</summary>
public sealed record TrelloAccount(string MemberId, string Username, string FullName, string ApiKey, string Token, string AppSecret)
{
    public Dictionary<string, string> CredentialFields() => new()
    {
        ["api_key"] = ApiKey,
        ["token"] = Token,
        ["app_secret"] = AppSecret,
    };
}
