using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Neena.StandIns;

/// <summary>
/// Webhook deliveries as each platform sends them: the JSON the platform posts and the headers it signs it with, computed
/// the way the platform documents. Written from the platforms' documentation, independently of the server's checks.
/// </summary>
public static class PlatformWebhooks
{
    /// <summary>
    /// A Trello webhook delivery (https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/): a POST of
    /// <c>{"action": …, "model": …}</c> to the callback URL, with <c>X-Trello-Webhook</c> = base64 of the HMAC-SHA1, keyed
    /// with the application's secret, of the body's bytes followed by the callback URL as the webhook was registered.
    /// </summary>
    public static HttpRequestMessage Trello(string callbackUrl, JsonObject action, JsonObject? model, string appSecret, string? signedUrl = null) =>
        Trello(callbackUrl, Encoding.UTF8.GetBytes(new JsonObject { ["action"] = action.DeepClone(), ["model"] = model?.DeepClone() ?? new JsonObject() }.ToJsonString()), appSecret, signedUrl);

    /// <summary>Any body, signed as Trello signs (for hostile bodies).</summary>
    public static HttpRequestMessage Trello(string callbackUrl, byte[] bytes, string appSecret, string? signedUrl = null)
    {
#pragma warning disable CA5350 // Trello's scheme is HMAC-SHA1; the stand-in signs as Trello does.
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(appSecret));
#pragma warning restore CA5350
        var signature = Convert.ToBase64String(hmac.ComputeHash([.. bytes, .. Encoding.UTF8.GetBytes(signedUrl ?? callbackUrl)]));
        var request = Post(callbackUrl, bytes);
        request.Headers.Add("X-Trello-Webhook", signature);
        return request;
    }

    /// <summary>A Trello action as webhooks carry it: <c>commentCard</c> on a card of a board and list.</summary>
    public static JsonObject TrelloComment(string actionId, string cardId, string cardName, string text, string username, string boardId = "5f0c1e2d3b4a596877665544") => new()
    {
        ["id"] = actionId,
        ["idMemberCreator"] = "5a1b2c3d4e5f60718293a4b5",
        ["data"] = new JsonObject
        {
            ["text"] = text,
            ["card"] = new JsonObject { ["id"] = cardId, ["name"] = cardName, ["idShort"] = 7, ["shortLink"] = "AbCd1234" },
            ["board"] = new JsonObject { ["id"] = boardId, ["name"] = "Launch", ["shortLink"] = "XyZw9876" },
            ["list"] = new JsonObject { ["id"] = "5f0c1e2d3b4a596877665500", ["name"] = "Today" },
        },
        ["type"] = "commentCard",
        ["date"] = "2026-12-04T10:15:30.123Z",
        ["memberCreator"] = new JsonObject { ["id"] = "5a1b2c3d4e5f60718293a4b5", ["username"] = username, ["fullName"] = "Ada Lovelace" },
    };

    /// <summary>
    /// A Slack Events API request (https://api.slack.com/apis/events-api, https://api.slack.com/authentication/verifying-requests-from-slack):
    /// <c>X-Slack-Request-Timestamp</c> and <c>X-Slack-Signature: v0=</c> + hex HMAC-SHA256, keyed with the signing secret,
    /// of <c>v0:{timestamp}:{body}</c>.
    /// </summary>
    public static HttpRequestMessage Slack(string url, JsonObject payload, string signingSecret, DateTimeOffset? signedAt = null) =>
        Slack(url, Encoding.UTF8.GetBytes(payload.ToJsonString()), signingSecret, signedAt);

    /// <summary>Any body, signed as Slack signs (for hostile bodies).</summary>
    public static HttpRequestMessage Slack(string url, byte[] bytes, string signingSecret, DateTimeOffset? signedAt = null)
    {
        var timestamp = (signedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(signingSecret));
        var signature = "v0=" + Convert.ToHexStringLower(hmac.ComputeHash([.. Encoding.UTF8.GetBytes($"v0:{timestamp}:"), .. bytes]));
        var request = Post(url, bytes);
        request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
        request.Headers.Add("X-Slack-Signature", signature);
        return request;
    }

    /// <summary>Slack's <c>url_verification</c>, sent when a Request URL is saved in the app's settings.</summary>
    public static JsonObject SlackUrlVerification(string challenge) => new()
    {
        ["token"] = "Jhj5dZrVaK7ZwHHjRyZWjbDl",
        ["challenge"] = challenge,
        ["type"] = "url_verification",
    };

    /// <summary>An <c>event_callback</c> carrying <paramref name="slackEvent"/>.</summary>
    public static JsonObject SlackEventCallback(string eventId, JsonObject slackEvent) => new()
    {
        ["token"] = "Jhj5dZrVaK7ZwHHjRyZWjbDl",
        ["team_id"] = "T0001",
        ["api_app_id"] = "A0001",
        ["event"] = slackEvent,
        ["type"] = "event_callback",
        ["event_id"] = eventId,
        ["event_time"] = 1733307330,
        ["authorizations"] = new JsonArray(new JsonObject { ["team_id"] = "T0001", ["user_id"] = "U0BOT", ["is_bot"] = true }),
    };

    /// <summary>A <c>message</c> event as a person's new message in a channel.</summary>
    public static JsonObject SlackMessage(string channel, string user, string text, string ts) => new()
    {
        ["type"] = "message",
        ["channel"] = channel,
        ["user"] = user,
        ["text"] = text,
        ["ts"] = ts,
        ["event_ts"] = ts,
        ["channel_type"] = "channel",
    };

    /// <summary>
    /// Neena's own scheme for the core Incoming Webhook: <c>X-Neena-Timestamp</c> (unix seconds) and <c>X-Neena-Signature:
    /// sha256=</c> + hex HMAC-SHA256, keyed with the operation's signing secret, of <c>{timestamp}.{body}</c>.
    /// </summary>
    public static HttpRequestMessage Neena(string url, string body, string secret, DateTimeOffset? signedAt = null, string? deliveryId = null) =>
        Neena(url, Encoding.UTF8.GetBytes(body), secret, signedAt, deliveryId);

    /// <summary>Any body (bytes that are not UTF-8 included), signed as Neena's scheme says.</summary>
    public static HttpRequestMessage Neena(string url, byte[] bytes, string secret, DateTimeOffset? signedAt = null, string? deliveryId = null)
    {
        var timestamp = (signedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        var signature = "sha256=" + Convert.ToHexStringLower(hmac.ComputeHash([.. Encoding.UTF8.GetBytes(timestamp + "."), .. bytes]));
        var request = Post(url, bytes);
        request.Headers.Add("X-Neena-Timestamp", timestamp);
        request.Headers.Add("X-Neena-Signature", signature);
        if (deliveryId is not null)
            request.Headers.Add("X-Neena-Delivery", deliveryId);
        return request;
    }

    private static HttpRequestMessage Post(string url, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
    }
}
