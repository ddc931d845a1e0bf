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
    public const string StandardIdHeader = "webhook-id";
    public const string StandardTimestampHeader = "webhook-timestamp";
    public const string StandardSignatureHeader = "webhook-signature";

    /// <summary>
    /// Neena's own scheme (the core Incoming Webhook): <c>X-Neena-Signature: sha256=HEX(HMAC-SHA256(secret, timestamp + "." + body))</c>
    /// with <c>X-Neena-Timestamp</c> in unix seconds, the timestamp signed exactly as sent. The key is the secret's UTF-8 text.
    /// </summary>
    public static GenericCheck CheckNeena(string secret, string? signature, string? timestamp, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (string.IsNullOrEmpty(signature))
            return GenericCheck.Refused($"Missing {NeenaSignatureHeader} header");
        if (string.IsNullOrEmpty(timestamp))
            return GenericCheck.Refused($"Missing {NeenaTimestampHeader} header");
        if (TimestampProblem(timestamp, now, NeenaTimestampHeader, out var signedAt) is { } stale)
            return GenericCheck.Refused(stale);
        var mac = HmacSha256(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(timestamp + "."), body);
        return HexEquals(signature, "sha256=" + Convert.ToHexStringLower(mac))
            ? GenericCheck.Verified(mac, signedAt, signedId: null)
            : GenericCheck.Refused("Invalid signature");
    }

    /// <summary>
    /// Standard Webhooks (https://www.standardwebhooks.com): <c>webhook-signature</c> holds space-separated <c>v1,BASE64(HMAC-SHA256(key,
    /// id + "." + timestamp + "." + body))</c> entries (any one matching is enough, other versions are skipped), over the
    /// <c>webhook-id</c> and <c>webhook-timestamp</c> as sent, so the delivery id is signed too. The key is what the
    /// specification makes of a <c>whsec_</c> secret, the base64 text after the prefix decoded (a Standard Webhooks library
    /// is given the signing secret as it is); a secret that is not of that form keys with its UTF-8 text.
    /// </summary>
    public static GenericCheck CheckStandard(string secret, string? id, string? timestamp, string? signatures, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (string.IsNullOrEmpty(id))
            return GenericCheck.Refused($"Missing {StandardIdHeader} header");
        if (string.IsNullOrEmpty(timestamp))
            return GenericCheck.Refused($"Missing {StandardTimestampHeader} header");
        if (string.IsNullOrEmpty(signatures))
            return GenericCheck.Refused($"Missing {StandardSignatureHeader} header");
        if (TimestampProblem(timestamp, now, StandardTimestampHeader, out var signedAt) is { } stale)
            return GenericCheck.Refused(stale);
        var mac = HmacSha256(StandardKey(secret), Encoding.UTF8.GetBytes(id + "." + timestamp + "."), body);
        var expected = Encoding.ASCII.GetBytes(Convert.ToBase64String(mac));
        var matched = false;
        foreach (var entry in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            // Every entry is compared, so the time taken does not tell which one matched.
            if (entry.StartsWith("v1,", StringComparison.Ordinal))
                matched |= CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(entry[3..]), expected);
        }
        return matched ? GenericCheck.Verified(mac, signedAt, id) : GenericCheck.Refused("Invalid signature");
    }

    /// <summary>The HMAC key of a secret under Standard Webhooks: <c>whsec_</c> + base64 decoded, else the secret's UTF-8 bytes.</summary>
    public static byte[] StandardKey(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        const string prefix = "whsec_";
        if (secret.StartsWith(prefix, StringComparison.Ordinal))
        {
            var encoded = secret[prefix.Length..];
            var buffer = new byte[encoded.Length];
            if (encoded.Length > 0 && Convert.TryFromBase64String(encoded, buffer, out var written))
                return buffer[..written];
        }
        return Encoding.UTF8.GetBytes(secret);
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
        if (TimestampProblem(timestamp, now, SlackTimestampHeader, out _) is { } stale)
            return stale;
        var expected = "v0=" + Convert.ToHexStringLower(HmacSha256(Encoding.UTF8.GetBytes(signingSecret), Encoding.ASCII.GetBytes("v0:" + timestamp + ":"), body));
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

    private static string? TimestampProblem(string timestamp, DateTimeOffset now, string header, out DateTimeOffset signedAt)
    {
        signedAt = default;
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
            return $"{header} must be a unix time in seconds";
        signedAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return (now - signedAt).Duration() > Tolerance ? $"{header} is more than 5 minutes away from the server's time" : null;
    }

    private static byte[] HmacSha256(byte[] key, byte[] prefix, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(prefix);
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }

    /// <summary>Hex digits compare case-insensitively; everything else byte for byte, in constant time for equal lengths.</summary>
    private static bool HexEquals(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(presented.ToLowerInvariant()), Encoding.ASCII.GetBytes(expected));
}

/// <summary>
/// The check of a generic delivery: why it is refused, or the signature that verified it (its HMAC, the replay key), when it
/// was signed, and the delivery id the signature covers (Standard Webhooks' <c>webhook-id</c>; null in Neena's own scheme).
/// </summary>
public sealed class GenericCheck
{
    private GenericCheck(string? problem, byte[]? signature, DateTimeOffset signedAt, string? signedId)
    {
        Problem = problem;
        Signature = signature;
        SignedAt = signedAt;
        SignedId = signedId;
    }

    public string? Problem { get; }
    public byte[]? Signature { get; }
    public DateTimeOffset SignedAt { get; }
    public string? SignedId { get; }

    public static GenericCheck Refused(string problem) => new(problem, null, default, null);
    public static GenericCheck Verified(byte[] signature, DateTimeOffset signedAt, string? signedId) => new(null, signature, signedAt, signedId);
}
