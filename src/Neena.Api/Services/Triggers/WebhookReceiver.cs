using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.Webhooks;
using Neena.Api.Errors;
using Neena.Api.Validation;
using Neena.Domain.Triggers;
using Neena.Integrations;
using Neena.Integrations.Credentials;
using Neena.Integrations.Triggers;
using Neena.Integrations.Webhooks;
using Neena.Persistence;
using Neena.Persistence.Triggers;
using Npgsql;

namespace Neena.Api.Services.Triggers;

/// <summary>
/// Receives platform deliveries for trigger operations (<c>POST /webhooks/{operation_id}</c>): finds the operation, has the
/// integration's <see cref="IWebhookPlatform"/> check the signature on the raw body and say which deliveries are the
/// trigger's events and what identifies them, and stores each delivery once as a trigger run (committed before the
/// answer), which the <see cref="Workers.TriggerRunProcessor"/> turns into a run. The platforms answer plainly; the HTTP answers
/// (refusals, status codes) are made here. Nothing is stored for a refused or ignored delivery.
/// </summary>
public sealed class WebhookReceiver(
    NeenaDbContext db,
    NpgsqlDataSource dataSource,
    IntegrationCatalogue catalogue,
    WebhookPlatforms platforms,
    ICredentialResolver credentials,
    SigningSecretProtector signingSecrets,
    WebhookUrls urls,
    WebhookRateLimits limits,
    TimeProvider time,
    ILogger<WebhookReceiver> logger)
{
    public const string NotFound = "Webhook trigger operation not found";

    private static readonly JsonDocumentOptions DocumentOptions = WebhookBodyDepth.DocumentOptions;

    /// <summary>What the receiver needs of an operation; read across organizations (the caller is a platform, not a tenant).</summary>
    private sealed record Target(
        Guid Id,
        Guid OrganizationId,
        string Status,
        string? ProtectedSigningSecret,
        Guid? IntegrationCredentialId,
        string IntegrationShortName,
        TriggerDescriptor Trigger);

    /// <summary>Answers Trello's check of a callback URL: the operation exists (whatever its status, so it can be registered before it is activated).</summary>
    public async Task CheckAsync(string operationId, HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await FindAsync(operationId, cancellationToken) is null)
            throw Unverified(request, ApiException.NotFound(NotFound));
    }

    /// <summary>
    /// One delivery: its status code (202 stored, 200 otherwise) and answer; refusals are thrown as <see cref="ApiException"/>.
    /// The signature is checked on the raw bytes whatever the content type says; only then is the body read as JSON.
    /// </summary>
    public async Task<(int StatusCode, WebhookReceipt Receipt)> ReceiveAsync(string operationId, HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var target = await FindAsync(operationId, cancellationToken);
        if (target is not { Status: TriggerOperationStatus.Active })
            throw Unverified(request, ApiException.NotFound(NotFound));

        var body = await ReadBodyAsync(request.Body, cancellationToken)
            ?? throw new ApiException(StatusCodes.Status413PayloadTooLarge, BodySizeLimit.Detail);
        var platform = platforms.For(target.IntegrationShortName);
        var headers = Headers(request);
        var verification = await VerifyAsync(target, platform, request, headers, body, cancellationToken);
        if (verification.Problem is { } refusal)
            throw Unverified(request, new ApiException(StatusCodes.Status401Unauthorized, refusal));
        limits.Verified(target.Id);

        using var document = Parse(body, request.ContentType);
        WebhookBodyDepth.Check(document.RootElement);
        var delivery = JsonNode.Parse(document.RootElement.GetRawText(), new JsonNodeOptions { PropertyNameCaseInsensitive = false });
        var classification = platform.Classify(delivery, target.Trigger);
        switch (classification.Kind)
        {
            case WebhookDeliveryKind.Invalid:
                throw Invalid(classification.Problem!);
            case WebhookDeliveryKind.Challenge:
                return (StatusCodes.Status200OK, new WebhookReceipt(null, WebhookReceiptStatus.Challenge, classification.Challenge));
            case WebhookDeliveryKind.Ignored:
                return (StatusCodes.Status200OK, Ignored);
        }
        // An event the trigger does not take is still checked for a well-formed id: a malformed event is refused, not ignored.
        var deliveryId = DeliveryId(platform.DeliveryId(delivery, headers, verification));
        if (classification.Kind != WebhookDeliveryKind.Event)
            return (StatusCodes.Status200OK, Ignored);

        var stored = await TriggerRunLease.StoreAsync(dataSource, new TriggerRunDelivery(
            target.OrganizationId, target.Id, document.RootElement.GetRawText(), deliveryId, EntityId(target.Trigger, delivery))
        {
            // A scheme's replay guard: the same signed bytes are the same delivery, whatever id comes with them.
            Signature = verification.Signature,
            SignatureExpiresAt = verification.SignedAt + WebhookSignature.Tolerance,
        }, cancellationToken);
        if (stored.Duplicate)
        {
            logger.LogInformation("Delivery {DeliveryId} to trigger operation {OperationId} repeats trigger run {TriggerRunId}; not stored again",
                deliveryId, target.Id, stored.TriggerRunId);
            return (StatusCodes.Status200OK, new WebhookReceipt(stored.TriggerRunId, WebhookReceiptStatus.Duplicate, null));
        }
        logger.LogInformation("Delivery to trigger operation {OperationId} stored as trigger run {TriggerRunId}", target.Id, stored.TriggerRunId);
        return (StatusCodes.Status202Accepted, new WebhookReceipt(stored.TriggerRunId, WebhookReceiptStatus.Received, null));
    }

    /// <summary>A delivery that failed verification counts against its source address; past that budget it is a 429 instead.</summary>
    private ApiException Unverified(HttpRequest request, ApiException refusal)
    {
        limits.Failed(request.HttpContext.Connection.RemoteIpAddress);
        return refusal;
    }

    private static readonly WebhookReceipt Ignored = new(null, WebhookReceiptStatus.Ignored, null);

    private static RequestValidationException Invalid(WebhookInputProblem problem) =>
        new(problem.Location, problem.Message ?? ValidationErrors.FieldRequired);

    /// <summary>The request's headers for a platform (plain values; a platform sees no HTTP types).</summary>
    private static WebhookHeaders Headers(HttpRequest request) =>
        new(name => request.Headers.TryGetValue(name, out var values) ? values.Select(v => v ?? "").ToArray() : null);

    /// <summary>The delivery id a platform found, if it can be stored (contract §3); else a 422 at its location.</summary>
    private static string? DeliveryId(WebhookDeliveryId id)
    {
        if (id.Problem is { } problem)
            throw Invalid(problem);
        return id.Location is { } location ? DeliveryId(id.Value, location) : null;
    }

    private static string DeliveryId(string? value, string location)
    {
        if (string.IsNullOrEmpty(value))
            throw new RequestValidationException(location, ValidationErrors.FieldRequired);
        if (value.Length > TriggerRun.MaxDeliveryIdLength)
            throw new RequestValidationException(location, $"ensure this value has at most {TriggerRun.MaxDeliveryIdLength} characters");
        if (value.Contains('\0', StringComparison.Ordinal) || !IsWellFormed(value))
            throw new RequestValidationException(location, JsonValueRules.NulMessage);
        return value;
    }

    private static bool IsWellFormed(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                i++;
            else if (char.IsSurrogate(value[i]))
                return false;
        }
        return true;
    }

    /// <summary>The value of the trigger's entity field as text (a platform id); null when there is none or it cannot be an id.</summary>
    private static string? EntityId(TriggerDescriptor trigger, JsonNode? delivery)
    {
        if (trigger.EntityField is not { } field)
            return null;
        var value = trigger.Extract(delivery)[field];
        var text = value switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
            _ => null,
        };
        return text is { Length: > 0 and <= TriggerRun.MaxEntityIdLength } ? text : null;
    }

    /// <summary>Whether the delivery is authentic, checked by its platform with the secret the platform needs.</summary>
    private async Task<WebhookVerification> VerifyAsync(
        Target target, IWebhookPlatform platform, HttpRequest request, WebhookHeaders headers, byte[] body, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var secret = platform.CredentialField is { } field
            ? await CredentialFieldAsync(target, field, cancellationToken)
            : SigningSecret(target);
        return secret is null
            ? WebhookVerification.Refused(NoSecret)
            : platform.Verify(new WebhookVerificationInput(body, headers, secret, now, CallbackUrls(request, target.Id)));
    }

    private const string NoSecret = "No signing secret is available for this operation";

    /// <summary>
    /// The URL Trello was given when the webhook was registered: the operation's webhook URL, or the address the delivery
    /// came to (under the public base), which differs only when the webhook was registered with the /api/v1 path or a query.
    /// </summary>
    private string[] CallbackUrls(HttpRequest request, Guid operationId) =>
    [
        urls.For(request, operationId),
        urls.BaseUrl(request) + request.Path.ToUriComponent() + request.QueryString.ToUriComponent(),
    ];

    private string? SigningSecret(Target target)
    {
        if (target.ProtectedSigningSecret is null)
            return null;
        try
        {
            return signingSecrets.Unprotect(target.OrganizationId, target.Id, target.ProtectedSigningSecret);
        }
        catch (CryptographicException ex)
        {
            logger.LogError(ex, "The signing secret of trigger operation {OperationId} cannot be decrypted", target.Id);
            return null;
        }
    }

    /// <summary>A field of the credential that verifies the platform's signatures: the operation's own, else the organization's newest.</summary>
    private async Task<string?> CredentialFieldAsync(Target target, string field, CancellationToken cancellationToken)
    {
        try
        {
            var credential = await credentials.ResolveAsync(target.OrganizationId, target.IntegrationShortName, target.IntegrationCredentialId, cancellationToken);
            return credential?.Require(field);
        }
        catch (TaskFailedException ex)
        {
            logger.LogWarning("Trigger operation {OperationId} cannot verify deliveries: {Reason}", target.Id, ex.Message);
            return null;
        }
    }

    private async Task<Target?> FindAsync(string operationId, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(operationId, out var id))
            return null;
        // Only the tenant filter is lifted (for the whole query, as EF lifts filters): deleted rows stay hidden.
        var row = await (
                from o in db.WebhookTriggerOperations.IgnoreQueryFilters([NeenaDbContext.TenantFilter]).AsNoTracking()
                join d in db.WebhookTriggerDefinitions.AsNoTracking() on o.WebhookTriggerDefinitionId equals d.Id
                join i in db.Integrations.AsNoTracking() on d.IntegrationId equals i.Id
                where o.Id == id
                select new { o.Id, o.OrganizationId, o.Status, o.ProtectedSigningSecret, o.IntegrationCredentialId, d.PythonMethodName, i.ShortName })
            .FirstOrDefaultAsync(cancellationToken);
        // A trigger that left the code cannot be processed: its deliveries are refused like those of a missing operation.
        var trigger = row is null ? null : catalogue.Integrations.SelectMany(i => i.Triggers).FirstOrDefault(t => t.TypeName == row.PythonMethodName);
        return row is null || trigger is null
            ? null
            : new Target(row.Id, row.OrganizationId, row.Status, row.ProtectedSigningSecret, row.IntegrationCredentialId, row.ShortName, trigger);
    }

    /// <summary>The body, or null when it is larger than the limit (counted while reading: a chunked body has no length up front).</summary>
    private static async Task<byte[]?> ReadBodyAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > BodySizeLimit.MaxBytes)
                return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// The body as JSON that can be stored (contract §3: no NUL, no lone surrogate, finite numbers); else a 422. Deliveries
    /// are JSON whatever their content type says (<c>curl --data-binary</c> labels JSON as a form), but a body in parts
    /// (<c>multipart/*</c>) or form data that is not JSON cannot be what a trigger reads: 415.
    /// </summary>
    private static JsonDocument Parse(byte[] body, string? contentType)
    {
        var mediaType = MediaTypeHeaderValue.TryParse(contentType, out var parsed) ? parsed.MediaType.Value ?? "" : "";
        if (mediaType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, UnsupportedMediaType);
        JsonDocument? document = null;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
            JsonValueRules.CheckTree(document.RootElement);
            return document;
        }
        catch (JsonException ex)
        {
            document?.Dispose();
            if (JsonValueRules.TryParseRefusal(ex.Message, out var message, out var path))
                throw new RequestValidationException(path.Length == 0 ? "body" : "body." + path, message);
            if (mediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
                throw new ApiException(StatusCodes.Status415UnsupportedMediaType, UnsupportedMediaType);
            throw new RequestValidationException("body", "invalid JSON: " + ValidationErrors.JsonSyntaxMessage(ex.Message));
        }
    }

    public const string UnsupportedMediaType = "Unsupported Media Type: a delivery is a JSON document (form data and multipart bodies are not read)";
}
