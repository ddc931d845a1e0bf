using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Neena.Integrations.Webhooks;

/// <summary>What the platforms' signature schemes share: the replay window, the timestamp check and constant-time comparisons.</summary>
public static class WebhookSignature
{
    /// <summary>How far a signed timestamp may be from the server's clock, either way (replays older than this are refused).</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    public const string Invalid = "Invalid signature";

    internal static string? TimestampProblem(string timestamp, DateTimeOffset now, string header, out DateTimeOffset signedAt)
    {
        signedAt = default;
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
            return $"{header} must be a unix time in seconds";
        signedAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return (now - signedAt).Duration() > Tolerance ? $"{header} is more than 5 minutes away from the server's time" : null;
    }

    internal static byte[] HmacSha256(byte[] key, byte[] prefix, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(prefix);
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }

    /// <summary>Hex digits compare case-insensitively; everything else byte for byte, in constant time for equal lengths.</summary>
    internal static bool HexEquals(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(presented.ToLowerInvariant()), Encoding.ASCII.GetBytes(expected));

    /// <summary>A string property of a JSON object; null when the node is not an object or the value is not a string.</summary>
    internal static string? Text(JsonNode? node, string property) =>
        node is JsonObject o && o[property] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
