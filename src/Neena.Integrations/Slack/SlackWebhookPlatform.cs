using System.Text;
using System.Text.Json.Nodes;
using Neena.Integrations.Triggers;
using Neena.Integrations.Webhooks;

namespace Neena.Integrations.Slack;

/// <summary>
/// The Events API (https://api.slack.com/apis/events-api), signed with the app's signing secret (the Slack credential's
/// <c>signing_secret</c>): <c>url_verification</c> is answered with its challenge; an <c>event_callback</c> of the
/// trigger's event type is stored under its <c>event_id</c>; anything else is ignored.
/// </summary>
public sealed class SlackWebhookPlatform : IWebhookPlatform
{
    public const string SignatureHeader = "X-Slack-Signature";
    public const string TimestampHeader = "X-Slack-Request-Timestamp";

    public Type Integration => typeof(SlackIntegration);

    public string? CredentialField => "signing_secret";

    public WebhookVerification Verify(WebhookVerificationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Check(input.Secret, input.Headers.One(SignatureHeader), input.Headers.One(TimestampHeader), input.Body.Span, input.Now) is { } problem
            ? WebhookVerification.Refused(problem)
            : WebhookVerification.Verified();
    }

    /// <summary>
    /// Messages that are not a person's new message (edits, deletions, bots' messages, the flow's own replies among them)
    /// are events the trigger does not take, so a flow that answers in a channel does not trigger itself.
    /// </summary>
    public WebhookClassification Classify(JsonNode? delivery, TriggerDescriptor trigger)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        var type = WebhookSignature.Text(delivery, "type");
        if (type == "url_verification")
        {
            return WebhookSignature.Text(delivery, "challenge") is { } challenge
                ? WebhookClassification.ChallengeOf(challenge)
                : WebhookClassification.Invalid(new WebhookInputProblem("body.challenge"));
        }
        if (type != "event_callback")
            return WebhookClassification.Ignored;
        var slackEvent = (delivery as JsonObject)?["event"] as JsonObject;
        var eventType = WebhookSignature.Text(slackEvent, "type");
        if (trigger.EventType is { } wanted && eventType != wanted)
            return WebhookClassification.Unwanted;
        if (eventType == "message" && (slackEvent!.ContainsKey("subtype") || slackEvent.ContainsKey("bot_id")))
            return WebhookClassification.Unwanted;
        return WebhookClassification.Event;
    }

    public WebhookDeliveryId DeliveryId(JsonNode? delivery, WebhookHeaders headers, WebhookVerification verification) =>
        WebhookDeliveryId.At("body.event_id", WebhookSignature.Text(delivery, "event_id"));

    /// <summary>
    /// Slack's request signing (https://api.slack.com/authentication/verifying-requests-from-slack):
    /// <c>X-Slack-Signature: v0=HEX(HMAC-SHA256(signing_secret, "v0:" + X-Slack-Request-Timestamp + ":" + body))</c>.
    /// Null when authentic, else why not.
    /// </summary>
    public static string? Check(string signingSecret, string? signature, string? timestamp, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(signingSecret);
        if (string.IsNullOrEmpty(signature))
            return $"Missing {SignatureHeader} header";
        if (string.IsNullOrEmpty(timestamp))
            return $"Missing {TimestampHeader} header";
        if (WebhookSignature.TimestampProblem(timestamp, now, TimestampHeader, out _) is { } stale)
            return stale;
        var expected = "v0=" + Convert.ToHexStringLower(WebhookSignature.HmacSha256(Encoding.UTF8.GetBytes(signingSecret), Encoding.ASCII.GetBytes("v0:" + timestamp + ":"), body));
        return WebhookSignature.HexEquals(signature, expected) ? null : WebhookSignature.Invalid;
    }
}
