using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Neena.Api.Contracts.Common;
using Neena.Domain.Triggers;

namespace Neena.Api.Contracts.Triggers;

/// <summary>A subscription of your organization to a platform event (a webhook trigger definition).</summary>
[InputSchema("WebhookTriggerOperationCreate")]
public sealed record CreateWebhookTriggerOperationRequest
{
    /// <summary>A label for the operation (1–200 characters).</summary>
    [ApiField(Required = true)]
    public string? Name { get; init; }

    /// <summary>The id of the webhook trigger definition (the platform event) to subscribe to.</summary>
    [ApiField(Required = true)]
    public Guid? WebhookTriggerDefinition { get; init; }

    /// <summary>
    /// The flow request's instructions for each event (1–10,000 characters): text with <c>&lt;{field}&gt;</c> or
    /// <c>{{ field }}</c> placeholders, each naming one of the definition's <c>event_fields</c>.
    /// </summary>
    [ApiField(Required = true)]
    public string? TemplateBody { get; init; }

    /// <summary><c>inactive</c> (the default) ignores deliveries; <c>active</c> turns each into a run.</summary>
    [ApiField(ValuesOf = typeof(TriggerOperationStatus))]
    public string? Status { get; init; }

    /// <summary>The id of a flow of your organization to run for every event; left out, a flow is generated for each event's request.</summary>
    public Guid? Flow { get; init; }

    /// <summary>
    /// Whether each event's run waits for approval (created <c>pending</c>). Left out: <c>true</c> without a fixed
    /// <c>flow</c> (a generated flow is never run unseen), <c>false</c> with one.
    /// </summary>
    public bool? RequiresApproval { get; init; }

    /// <summary>
    /// The id of a credential of your organization for the definition's integration, whose secrets verify the platform's
    /// signatures (Slack signing secret, Trello app secret).
    /// </summary>
    public Guid? IntegrationCredential { get; init; }
}

public sealed class CreateWebhookTriggerOperationRequestValidator : AbstractValidator<CreateWebhookTriggerOperationRequest>
{
    public CreateWebhookTriggerOperationRequestValidator()
    {
        RuleFor(r => r.Name).NotEmpty().MaximumLength(WebhookTriggerOperation.MaxNameLength);
        RuleFor(r => r.WebhookTriggerDefinition).NotNull();
        RuleFor(r => r.TemplateBody).NotNull();
        RuleFor(r => r.TemplateBody).Must(t => t!.Length > 0).WithMessage(WebhookTriggerOperationRules.TemplateEmpty)
            .MaximumLength(WebhookTriggerOperation.MaxTemplateLength).When(r => r.TemplateBody is not null);
        RuleFor(r => r.Status).Must(WebhookTriggerOperationRules.IsStatus).WithMessage(WebhookTriggerOperationRules.StatusMessage)
            .When(r => r.Status is not null);
    }
}

/// <summary>A partial update: fields left out of the body keep their stored value.</summary>
[InputSchema("WebhookTriggerOperationUpdate")]
public sealed record UpdateWebhookTriggerOperationRequest
{
    /// <summary>The id of the webhook trigger operation to change.</summary>
    [ApiField(Required = true)]
    public Guid? Id { get; init; }

    /// <summary>A label for the operation (1–200 characters).</summary>
    [ApiField(NotNull = true)]
    public FieldUpdate<string> Name { get; init; }

    /// <summary>The instructions template (1–10,000 characters); its placeholders must name event fields of the operation's definition.</summary>
    [ApiField(NotNull = true)]
    public FieldUpdate<string> TemplateBody { get; init; }

    /// <summary><c>active</c>, <c>inactive</c> or <c>failed</c>.</summary>
    [ApiField(NotNull = true, ValuesOf = typeof(TriggerOperationStatus))]
    public FieldUpdate<string> Status { get; init; }

    /// <summary>The id of a flow of your organization to run for every event; null makes each event generate its own flow.</summary>
    public FieldUpdate<Guid?> Flow { get; init; }

    /// <summary>
    /// Whether each event's run waits for approval. Left out while <c>flow</c> changes, it follows the new flow (<c>true</c>
    /// without one, <c>false</c> with one); left out otherwise, it keeps its value.
    /// </summary>
    [ApiField(NotNull = true)]
    public FieldUpdate<bool?> RequiresApproval { get; init; }

    /// <summary>The id of a credential of your organization for the definition's integration; null removes it.</summary>
    public FieldUpdate<Guid?> IntegrationCredential { get; init; }
}

public sealed class UpdateWebhookTriggerOperationRequestValidator : AbstractValidator<UpdateWebhookTriggerOperationRequest>
{
    public UpdateWebhookTriggerOperationRequestValidator()
    {
        RuleFor(r => r.Id).NotNull();
        RuleFor(r => r).Custom((r, context) =>
        {
            if (r.Name.IsSet)
            {
                if (string.IsNullOrEmpty(r.Name.Value))
                    context.AddFailure("name", r.Name.Value is null ? "none is not an allowed value" : "ensure this value has at least 1 characters");
                else if (r.Name.Value.Length > WebhookTriggerOperation.MaxNameLength)
                    context.AddFailure("name", $"ensure this value has at most {WebhookTriggerOperation.MaxNameLength} characters");
            }
            if (r.TemplateBody.IsSet)
            {
                if (r.TemplateBody.Value is null)
                    context.AddFailure("template_body", "none is not an allowed value");
                else if (r.TemplateBody.Value.Length == 0)
                    context.AddFailure("template_body", WebhookTriggerOperationRules.TemplateEmpty);
                else if (r.TemplateBody.Value.Length > WebhookTriggerOperation.MaxTemplateLength)
                    context.AddFailure("template_body", $"ensure this value has at most {WebhookTriggerOperation.MaxTemplateLength} characters");
            }
            if (r.Status.IsSet)
            {
                if (r.Status.Value is null)
                    context.AddFailure("status", "none is not an allowed value");
                else if (!WebhookTriggerOperationRules.IsStatus(r.Status.Value))
                    context.AddFailure("status", WebhookTriggerOperationRules.StatusMessage);
            }
            if (r.RequiresApproval is { IsSet: true, Value: null })
                context.AddFailure("requires_approval", "none is not an allowed value");
        });
    }
}

internal static class WebhookTriggerOperationRules
{
    public const string TemplateEmpty = "ensure this value has at least 1 characters";

    public static readonly string StatusMessage =
        $"unexpected value; permitted: {string.Join(", ", TriggerOperationStatus.All.Select(s => $"'{s}'"))}";

    public static bool IsStatus(string? status) => status is not null && TriggerOperationStatus.All.Contains(status);
}

/// <summary>The optional filter of <c>/webhook_trigger_operations/all</c>.</summary>
public sealed record WebhookTriggerOperationFilter
{
    /// <summary>Only the operations subscribed to this webhook trigger definition.</summary>
    [FromQuery(Name = "webhook_trigger_definition_id")]
    public Guid? WebhookTriggerDefinitionId { get; init; }
}

/// <summary>A webhook trigger operation as stored; its signing secret is never shown again after creation.</summary>
/// <param name="WebhookTriggerDefinition">The id of the trigger definition (platform event) it subscribes to.</param>
/// <param name="TemplateBody">The instructions template; each event's fields fill its placeholders.</param>
/// <param name="Status"><c>active</c> (deliveries become runs), <c>inactive</c> (deliveries are refused) or <c>failed</c>.</param>
/// <param name="Flow">The flow every event runs; null when each event's request gets a generated flow.</param>
/// <param name="IntegrationCredential">The credential whose secrets verify the platform's signatures, if any.</param>
/// <param name="WebhookUrl">The absolute URL the platform must send events to.</param>
/// <param name="DeletedAt">When the operation was deleted; only a <c>DELETE</c> answer shows it set.</param>
/// <param name="RequiresApproval">Whether each event's run is created <c>pending</c>, awaiting approval.</param>
[OutputSchema("WebhookTriggerOperation")]
public sealed record WebhookTriggerOperationResponse(
    Guid Id,
    string Name,
    Guid WebhookTriggerDefinition,
    string TemplateBody,
    [property: ApiField(ValuesOf = typeof(TriggerOperationStatus))] string Status,
    Guid Organization,
    DateTime CreatedDate,
    DateTime ModifiedDate,
    string? CreatedByEmail,
    string? ModifiedByEmail,
    Guid? Flow,
    Guid? IntegrationCredential,
    string WebhookUrl,
    DateTime? DeletedAt,
    bool RequiresApproval);

/// <summary>The answer to creating a webhook trigger operation: the only time <see cref="SigningSecret"/> is shown.</summary>
/// <param name="WebhookTriggerDefinition">The id of the trigger definition (platform event) it subscribes to.</param>
/// <param name="TemplateBody">The instructions template; each event's fields fill its placeholders.</param>
/// <param name="Status"><c>active</c> (deliveries become runs), <c>inactive</c> (deliveries are refused) or <c>failed</c>.</param>
/// <param name="Flow">The flow every event runs; null when each event's request gets a generated flow.</param>
/// <param name="IntegrationCredential">The credential whose secrets verify the platform's signatures, if any.</param>
/// <param name="WebhookUrl">The absolute URL the platform must send events to.</param>
/// <param name="DeletedAt">Always null here.</param>
/// <param name="RequiresApproval">Whether each event's run is created <c>pending</c>, awaiting approval.</param>
/// <param name="SigningSecret">
/// For the generic <c>Incoming Webhook</c> trigger: the HMAC secret that signs deliveries
/// (<c>X-Neena-Signature: sha256=HEX(HMAC-SHA256(secret, timestamp + "." + body))</c>). It is never shown again. Null for
/// platform triggers, whose signatures the integration credential verifies.
/// </param>
[OutputSchema("WebhookTriggerOperationCreated")]
public sealed record CreatedWebhookTriggerOperationResponse(
    Guid Id,
    string Name,
    Guid WebhookTriggerDefinition,
    string TemplateBody,
    [property: ApiField(ValuesOf = typeof(TriggerOperationStatus))] string Status,
    Guid Organization,
    DateTime CreatedDate,
    DateTime ModifiedDate,
    string? CreatedByEmail,
    string? ModifiedByEmail,
    Guid? Flow,
    Guid? IntegrationCredential,
    string WebhookUrl,
    DateTime? DeletedAt,
    bool RequiresApproval,
    string? SigningSecret)
{
    public static CreatedWebhookTriggerOperationResponse From(WebhookTriggerOperationResponse o, string? signingSecret) => new(
        o.Id, o.Name, o.WebhookTriggerDefinition, o.TemplateBody, o.Status, o.Organization, o.CreatedDate, o.ModifiedDate,
        o.CreatedByEmail, o.ModifiedByEmail, o.Flow, o.IntegrationCredential, o.WebhookUrl, o.DeletedAt, o.RequiresApproval, signingSecret);
}
