using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Neena.Api.Services.Triggers;

/// <summary>
/// The platforms' webhook signature schemes, each checked on the raw body exactly as the platform computes it, with
/// constant-time comparisons. Each check answers null when the delivery is authentic, else why it is not (safe to show:
/// it never contains a secret or the expected signature).
/// </summary>
public static class WebhookSignatures
{
    /// <summary>How far a signed timestamp may be from the server's clock, either way (replays older than this are refused).</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    public const string NeenaSignatureHeader = "X-Neena-Signature";
    public const string NeenaTimestampHeader = "X-Neena-Timestamp";
    public const string NeenaDeliveryHeader = "X-Neena-Delivery";
    public const string SlackSignatureHeader = "X-Slack-Signature";
    public const string SlackTimestampHeader = "X-Slack-Request-Timestamp";
    public const string TrelloSignatureHeader = "X-Trello-Webhook";

    /// <summary>
    /// Neena's own scheme (the core Incoming Webhook): <c>X-Neena-Signature: sha256=HEX(HMAC-SHA256(secret, timestamp + "." + body))</c>
    /// with <c>X-Neena-Timestamp</c> in unix seconds, the timestamp signed exactly as sent.
    /// </summary>
    public static string? CheckNeena(string secret, string? signature, string? timestamp, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (string.IsNullOrEmpty(signature))
            return $"Missing {NeenaSignatureHeader} header";
        if (string.IsNullOrEmpty(timestamp))
            return $"Missing {NeenaTimestampHeader} header";
        if (TimestampProblem(timestamp, now, NeenaTimestampHeader) is { } stale)
            return stale;
        var expected = "sha256=" + Convert.ToHexStringLower(HmacSha256(secret, Encoding.ASCII.GetBytes(timestamp + "."), body));
        return HexEquals(signature, expected) ? null : "Invalid signature";
    }

    /// <summary>
    /// Slack's request signing (https://api.slack.com/authentication/verifying-requests-from-slack):
    /// <c>X-Slack-Signature: v0=HEX(HMAC-SHA256(signing_secret, "v0:" + X-Slack-Request-Timestamp + ":" + body))</c>.
    /// </summary>
    public static string? CheckSlack(string signingSecret, string? signature, string? timestamp, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(signingSecret);
        if (string.IsNullOrEmpty(signature))
            return $"Missing {SlackSignatureHeader} header";
        if (string.IsNullOrEmpty(timestamp))
            return $"Missing {SlackTimestampHeader} header";
        if (TimestampProblem(timestamp, now, SlackTimestampHeader) is { } stale)
            return stale;
        var expected = "v0=" + Convert.ToHexStringLower(HmacSha256(signingSecret, Encoding.ASCII.GetBytes("v0:" + timestamp + ":"), body));
        return HexEquals(signature, expected) ? null : "Invalid signature";
    }

    /// <summary>
    /// Trello's webhook signature (https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/):
    /// <c>X-Trello-Webhook: BASE64(HMAC-SHA1(app_secret, body + callbackURL))</c>, the callback URL as the webhook was
    /// registered. Any of <paramref name="callbackUrls"/> may be the registered one.
    /// </summary>
    public static string? CheckTrello(string appSecret, string? signature, ReadOnlySpan<byte> body, IEnumerable<string> callbackUrls)
    {
        ArgumentNullException.ThrowIfNull(appSecret);
        ArgumentNullException.ThrowIfNull(callbackUrls);
        if (string.IsNullOrEmpty(signature))
            return $"Missing {TrelloSignatureHeader} header";
        var presented = Encoding.ASCII.GetBytes(signature);
        var matched = false;
        foreach (var url in callbackUrls.Distinct(StringComparer.Ordinal))
        {
            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, Encoding.UTF8.GetBytes(appSecret));
            hmac.AppendData(body);
            hmac.AppendData(Encoding.UTF8.GetBytes(url));
            // Every candidate is compared, so the time taken does not tell which one matched.
            matched |= CryptographicOperations.FixedTimeEquals(presented, Encoding.ASCII.GetBytes(Convert.ToBase64String(hmac.GetHashAndReset())));
        }
        return matched ? null : "Invalid signature";
    }

    private static string? TimestampProblem(string timestamp, DateTimeOffset now, string header)
    {
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
            return $"{header} must be a unix time in seconds";
        var age = now - DateTimeOffset.FromUnixTimeSeconds(seconds);
        return age.Duration() > Tolerance ? $"{header} is more than 5 minutes away from the server's time" : null;
    }

    private static byte[] HmacSha256(string secret, byte[] prefix, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret));
        hmac.AppendData(prefix);
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }

    /// <summary>Hex digits compare case-insensitively; everything else byte for byte, in constant time for equal lengths.</summary>
    private static bool HexEquals(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(presented.ToLowerInvariant()), Encoding.ASCII.GetBytes(expected));
}
