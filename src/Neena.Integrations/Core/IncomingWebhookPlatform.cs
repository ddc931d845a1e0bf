using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Neena.Integrations.Triggers;
using Neena.Integrations.Webhooks;

namespace Neena.Integrations.Core;

/// <summary>
/// The core Incoming Webhook (and any integration without a platform of its own): any JSON, signed with the trigger
/// operation's signing secret in Neena's own scheme or in Standard Webhooks'. The signature is also the replay guard: the
/// same signed bytes are the same delivery, whatever id comes with them.
/// </summary>
public sealed class IncomingWebhookPlatform : IWebhookPlatform
{
    public const string NeenaSignatureHeader = "X-Neena-Signature";
    public const string NeenaTimestampHeader = "X-Neena-Timestamp";
    public const string NeenaDeliveryHeader = "X-Neena-Delivery";
    public const string StandardIdHeader = "webhook-id";
    public const string StandardTimestampHeader = "webhook-timestamp";
    public const string StandardSignatureHeader = "webhook-signature";

    public Type Integration => typeof(CoreIntegration);

    public string? CredentialField => null;

    public WebhookVerification Verify(WebhookVerificationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var headers = input.Headers;
        return IsStandardWebhook(headers)
            ? CheckStandard(input.Secret, headers.One(StandardIdHeader), headers.One(StandardTimestampHeader), headers.One(StandardSignatureHeader), input.Body.Span, input.Now)
            : CheckNeena(input.Secret, headers.One(NeenaSignatureHeader), headers.One(NeenaTimestampHeader), input.Body.Span, input.Now);
    }

    /// <summary>Any JSON is an event.</summary>
    public WebhookClassification Classify(JsonNode? delivery, TriggerDescriptor trigger) => WebhookClassification.Event;

    /// <summary>
    /// Standard Webhooks' <c>webhook-id</c> (signed) or, in Neena's own scheme, the optional <c>X-Neena-Delivery</c> (not
    /// signed: the signature itself guards against replays).
    /// </summary>
    public WebhookDeliveryId DeliveryId(JsonNode? delivery, WebhookHeaders headers, WebhookVerification verification)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(verification);
        if (verification.SignedId is { } signedId)
            return WebhookDeliveryId.At("header." + StandardIdHeader, signedId);
        var values = headers.All(NeenaDeliveryHeader);
        const string location = "header." + NeenaDeliveryHeader;
        return values.Count switch
        {
            0 => WebhookDeliveryId.None,
            1 => WebhookDeliveryId.At(location, values[0]),
            _ => WebhookDeliveryId.Refused(new WebhookInputProblem(location, "give the header once")),
        };
    }

    /// <summary>Standard Webhooks' headers, unless Neena's own signature is there: then the delivery is checked as before.</summary>
    private static bool IsStandardWebhook(WebhookHeaders headers) =>
        headers.Has(StandardSignatureHeader)
        || (!headers.Has(NeenaSignatureHeader) && (headers.Has(StandardIdHeader) || headers.Has(StandardTimestampHeader)));

    /// <summary>
    /// Neena's own scheme: <c>X-Neena-Signature: sha256=HEX(HMAC-SHA256(secret, timestamp + "." + body))</c>
    /// with <c>X-Neena-Timestamp</c> in unix seconds, the timestamp signed exactly as sent. The key is the secret's UTF-8 text.
    /// </summary>
    public static WebhookVerification CheckNeena(string secret, string? signature, string? timestamp, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (string.IsNullOrEmpty(signature))
            return WebhookVerification.Refused($"Missing {NeenaSignatureHeader} header");
        if (string.IsNullOrEmpty(timestamp))
            return WebhookVerification.Refused($"Missing {NeenaTimestampHeader} header");
        if (WebhookSignature.TimestampProblem(timestamp, now, NeenaTimestampHeader, out var signedAt) is { } stale)
            return WebhookVerification.Refused(stale);
        var mac = WebhookSignature.HmacSha256(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(timestamp + "."), body);
        return WebhookSignature.HexEquals(signature, "sha256=" + Convert.ToHexStringLower(mac))
            ? WebhookVerification.Verified(mac, signedAt, signedId: null)
            : WebhookVerification.Refused(WebhookSignature.Invalid);
    }

    /// <summary>
    /// Standard Webhooks (https://www.standardwebhooks.com): <c>webhook-signature</c> holds space-separated <c>v1,BASE64(HMAC-SHA256(key,
    /// id + "." + timestamp + "." + body))</c> entries (any one matching is enough, other versions are skipped), over the
    /// <c>webhook-id</c> and <c>webhook-timestamp</c> as sent, so the delivery id is signed too. The key is what the
    /// specification makes of a <c>whsec_</c> secret, the base64 text after the prefix decoded (a Standard Webhooks library
    /// is given the signing secret as it is); a secret that is not of that form keys with its UTF-8 text.
    /// </summary>
    public static WebhookVerification CheckStandard(string secret, string? id, string? timestamp, string? signatures, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (string.IsNullOrEmpty(id))
            return WebhookVerification.Refused($"Missing {StandardIdHeader} header");
        if (string.IsNullOrEmpty(timestamp))
            return WebhookVerification.Refused($"Missing {StandardTimestampHeader} header");
        if (string.IsNullOrEmpty(signatures))
            return WebhookVerification.Refused($"Missing {StandardSignatureHeader} header");
        if (WebhookSignature.TimestampProblem(timestamp, now, StandardTimestampHeader, out var signedAt) is { } stale)
            return WebhookVerification.Refused(stale);
        var mac = WebhookSignature.HmacSha256(StandardKey(secret), Encoding.UTF8.GetBytes(id + "." + timestamp + "."), body);
        var expected = Encoding.ASCII.GetBytes(Convert.ToBase64String(mac));
        var matched = false;
        foreach (var entry in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            // Every entry is compared, so the time taken does not tell which one matched.
            if (entry.StartsWith("v1,", StringComparison.Ordinal))
                matched |= CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(entry[3..]), expected);
        }
        return matched ? WebhookVerification.Verified(mac, signedAt, id) : WebhookVerification.Refused(WebhookSignature.Invalid);
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
}
