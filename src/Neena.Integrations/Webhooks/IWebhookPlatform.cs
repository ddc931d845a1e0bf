using System.Text.Json.Nodes;
using Neena.Integrations.Triggers;

namespace Neena.Integrations.Webhooks;

/// <summary>
/// How one platform delivers the events of its integration's triggers: how a delivery proves it is authentic, which
/// deliveries are events, and what identifies a delivery so that a repeat is processed once. Each implementation lives in
/// its integration's folder and is registered by <c>AddNeenaIntegrations</c>, so a new platform is a new class here, not a
/// change to the receiver. Implementations take plain inputs and answer plain results; the receiver owns HTTP (reading
/// the request, status codes, refusals), and checks each delivery id against what can be stored.
/// </summary>
public interface IWebhookPlatform
{
    /// <summary>The <see cref="IntegrationAttribute"/> class whose triggers' deliveries this platform receives.</summary>
    Type Integration { get; }

    /// <summary>The field of the integration's credential that holds the verification secret; null for the trigger operation's own signing secret.</summary>
    string? CredentialField { get; }

    /// <summary>Whether the raw body and headers are authentic; called before the body is read as JSON.</summary>
    WebhookVerification Verify(WebhookVerificationInput input);

    /// <summary>What an authentic delivery is for the trigger: an event to store, an event of another kind, a challenge, or nothing.</summary>
    WebhookClassification Classify(JsonNode? delivery, TriggerDescriptor trigger);

    /// <summary>Where the delivery's id is (asked only of events, including those the trigger does not take).</summary>
    WebhookDeliveryId DeliveryId(JsonNode? delivery, WebhookHeaders headers, WebhookVerification verification);
}

/// <summary>
/// What a signature is checked on: the raw body as received, the request's headers, the secret that keys it, the server's
/// time, and the URLs the delivery may have been addressed to (Trello signs the body together with its callback URL).
/// </summary>
public sealed record WebhookVerificationInput(
    ReadOnlyMemory<byte> Body,
    WebhookHeaders Headers,
    string Secret,
    DateTimeOffset Now,
    IReadOnlyList<string> CallbackUrls);

/// <summary>A request's headers by name (case-insensitively, as HTTP names them).</summary>
/// <param name="lookup">The values of a header; null when the request does not have it.</param>
public sealed class WebhookHeaders(Func<string, IReadOnlyList<string>?> lookup)
{
    /// <summary>Headers from a plain dictionary (one value each), for callers outside HTTP.</summary>
    public static WebhookHeaders Of(IReadOnlyDictionary<string, string> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var copy = new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase);
        return new WebhookHeaders(name => copy.TryGetValue(name, out var value) ? [value] : null);
    }

    public bool Has(string name) => lookup(name) is not null;

    /// <summary>The header's value when it is given exactly once; null when it is missing or repeated.</summary>
    public string? One(string name) => lookup(name) is { Count: 1 } values ? values[0] : null;

    public IReadOnlyList<string> All(string name) => lookup(name) ?? [];
}

/// <summary>
/// The outcome of a signature check: why the delivery is refused (safe to show: never a secret or an expected signature),
/// or that it is authentic, with what a replay guard needs when the scheme has one: the signature itself, when it was
/// signed, and the delivery id it covers.
/// </summary>
public sealed class WebhookVerification
{
    private WebhookVerification(string? problem, byte[]? signature, DateTimeOffset signedAt, string? signedId)
    {
        Problem = problem;
        Signature = signature;
        SignedAt = signedAt;
        SignedId = signedId;
    }

    /// <summary>Why the delivery is not authentic; null when it is.</summary>
    public string? Problem { get; }

    /// <summary>The MAC that verified the delivery, when the same signed bytes must count as the same delivery.</summary>
    public byte[]? Signature { get; }

    public DateTimeOffset SignedAt { get; }

    /// <summary>The delivery id the signature covers, when the scheme signs one.</summary>
    public string? SignedId { get; }

    public static WebhookVerification Refused(string problem) => new(problem, null, default, null);

    public static WebhookVerification Verified() => new(null, null, default, null);

    public static WebhookVerification Verified(byte[] signature, DateTimeOffset signedAt, string? signedId) => new(null, signature, signedAt, signedId);
}

/// <summary>A field of a delivery that is missing (<see cref="Message"/> null) or cannot be taken, at its location (<c>body.x</c>, <c>header.X</c>).</summary>
public sealed record WebhookInputProblem(string Location, string? Message = null);

public enum WebhookDeliveryKind
{
    /// <summary>Not an event (nothing to identify): answered as ignored.</summary>
    Ignored,

    /// <summary>The platform checks the URL: answered with <see cref="WebhookClassification.Challenge"/>.</summary>
    Challenge,

    /// <summary>An event the trigger does not take: answered as ignored once its delivery id is found well formed.</summary>
    Unwanted,

    /// <summary>An event for the trigger: stored under its delivery id.</summary>
    Event,

    /// <summary>A delivery that cannot be taken: <see cref="WebhookClassification.Problem"/> says where.</summary>
    Invalid,
}

public sealed record WebhookClassification(WebhookDeliveryKind Kind, string? Challenge = null, WebhookInputProblem? Problem = null)
{
    public static readonly WebhookClassification Ignored = new(WebhookDeliveryKind.Ignored);
    public static readonly WebhookClassification Unwanted = new(WebhookDeliveryKind.Unwanted);
    public static readonly WebhookClassification Event = new(WebhookDeliveryKind.Event);

    public static WebhookClassification ChallengeOf(string challenge) => new(WebhookDeliveryKind.Challenge, challenge);

    public static WebhookClassification Invalid(WebhookInputProblem problem) => new(WebhookDeliveryKind.Invalid, Problem: problem);
}

/// <summary>
/// A delivery's id and where it was found (<see cref="Value"/> may be missing or empty there: the receiver refuses that),
/// a problem with it, or <see cref="None"/> when the delivery has no id and each one is taken as new.
/// </summary>
public sealed record WebhookDeliveryId(string? Location, string? Value, WebhookInputProblem? Problem = null)
{
    public static readonly WebhookDeliveryId None = new(null, null);

    public static WebhookDeliveryId At(string location, string? value) => new(location, value);

    public static WebhookDeliveryId Refused(WebhookInputProblem problem) => new(null, null, problem);
}
