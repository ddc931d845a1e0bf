using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Neena.Integrations.Notifications;

/// <summary>
/// Signs outgoing notification deliveries as Standard Webhooks defines them
/// (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md), so receivers built with
/// any of its libraries verify us without custom code.
/// </summary>
public sealed class StandardWebhookSigner
{
    public const string SecretPrefix = "whsec_";
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    private readonly byte[] key;

    /// <param name="secret">A <c>whsec_</c>-prefixed base64 secret, as <see cref="NewSecret"/> makes it (the prefix is optional).</param>
    /// <exception cref="FormatException">The secret is not base64 after its prefix.</exception>
    public StandardWebhookSigner(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        key = Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);
        if (key.Length == 0)
            throw new FormatException("The signing secret is empty.");
    }

    /// <summary>A new secret: 32 random bytes, base64, prefixed <c>whsec_</c> (the form the Standard Webhooks libraries read).</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The <c>webhook-signature</c> value: <c>v1,</c> + base64 HMAC-SHA256 of <c>id.timestamp.body</c>.</summary>
    public string Sign(string id, DateTimeOffset timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var prefix = Encoding.UTF8.GetBytes($"{id}.{Seconds(timestamp)}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
    }

    /// <summary>The three headers of one delivery attempt; the id stays the same across retries, the timestamp does not.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers(string id, DateTimeOffset timestamp, ReadOnlySpan<byte> body) =>
    [
        new(IdHeader, id),
        new(TimestampHeader, Seconds(timestamp)),
        new(SignatureHeader, Sign(id, timestamp, body)),
    ];

    private static string Seconds(DateTimeOffset timestamp) => timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
}
