using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Neena.Integrations.Triggers;
using Neena.Integrations.Webhooks;

namespace Neena.Integrations.Trello;

/// <summary>
/// Trello's webhook deliveries <c>{"action": …, "model": …}</c>, signed with the app secret (the Trello credential's
/// <c>app_secret</c>): the trigger's action type, stored under <c>action.id</c>.
/// </summary>
public sealed class TrelloWebhookPlatform : IWebhookPlatform
{
    public const string SignatureHeader = "X-Trello-Webhook";

    public Type Integration => typeof(TrelloIntegration);

    public string? CredentialField => "app_secret";

    public WebhookVerification Verify(WebhookVerificationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Check(input.Secret, input.Headers.One(SignatureHeader), input.Body.Span, input.CallbackUrls) is { } problem
            ? WebhookVerification.Refused(problem)
            : WebhookVerification.Verified();
    }

    public WebhookClassification Classify(JsonNode? delivery, TriggerDescriptor trigger)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        return trigger.EventType is { } wanted && WebhookSignature.Text(Action(delivery), "type") != wanted
            ? WebhookClassification.Unwanted
            : WebhookClassification.Event;
    }

    public WebhookDeliveryId DeliveryId(JsonNode? delivery, WebhookHeaders headers, WebhookVerification verification) =>
        WebhookDeliveryId.At("body.action.id", WebhookSignature.Text(Action(delivery), "id"));

    private static JsonObject? Action(JsonNode? delivery) => (delivery as JsonObject)?["action"] as JsonObject;

    /// <summary>
    /// Trello's webhook signature (https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/):
    /// <c>X-Trello-Webhook: BASE64(HMAC-SHA1(app_secret, body + callbackURL))</c>, the callback URL as the webhook was
    /// registered. Any of <paramref name="callbackUrls"/> may be the registered one. Null when authentic, else why not.
    /// </summary>
    public static string? Check(string appSecret, string? signature, ReadOnlySpan<byte> body, IEnumerable<string> callbackUrls)
    {
        ArgumentNullException.ThrowIfNull(appSecret);
        ArgumentNullException.ThrowIfNull(callbackUrls);
        if (string.IsNullOrEmpty(signature))
            return $"Missing {SignatureHeader} header";
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
        return matched ? null : WebhookSignature.Invalid;
    }
}
