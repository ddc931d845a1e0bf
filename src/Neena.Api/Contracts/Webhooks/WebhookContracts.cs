using Neena.Api.Contracts.Common;

namespace Neena.Api.Contracts.Webhooks;

/// <summary>What became of a delivery.</summary>
public static class WebhookReceiptStatus
{
    /// <summary>Stored as a new trigger run (202); it is processed in the background.</summary>
    public const string Received = "received";

    /// <summary>The operation had already received this delivery (same delivery id): the first one's trigger run, processed once.</summary>
    public const string Duplicate = "duplicate";

    /// <summary>Authentic, but not an event this trigger takes (another event type, an edit, a bot's message): nothing stored.</summary>
    public const string Ignored = "ignored";

    /// <summary>Slack's <c>url_verification</c>: <c>challenge</c> is answered, nothing stored.</summary>
    public const string Challenge = "challenge";
}

/// <summary>The answer to a delivery.</summary>
/// <param name="TriggerRunId">The trigger run holding the delivery (new or the first copy's); null when nothing was stored.</param>
/// <param name="Status">What became of the delivery.</param>
/// <param name="Challenge">Slack <c>url_verification</c> only: the <c>challenge</c> it sent, answered back; null otherwise.</param>
[OutputSchema("WebhookReceipt")]
public sealed record WebhookReceipt(
    Guid? TriggerRunId,
    [property: ApiField(ValuesOf = typeof(WebhookReceiptStatus), EnumName = "WebhookReceiptStatus")] string Status,
    string? Challenge);
