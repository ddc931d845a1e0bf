using Neena.Domain.Catalogue;
using Neena.Domain.Common;

namespace Neena.Domain.Triggers;

/// <summary>Statuses of a trigger operation as stored and shown.</summary>
public static class TriggerOperationStatus
{
    public const string Active = "active";
    public const string Inactive = "inactive";
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Active, Inactive, Failed];
}

/// <summary>
/// An organization's subscription to a platform event: deliveries to its webhook URL become trigger runs, each a flow
/// request rendered from <see cref="TemplateBody"/> and a run of <see cref="FlowId"/> (or of a flow generated per event).
/// </summary>
public sealed class WebhookTriggerOperation : ITenantOwned, IAudited, ISoftDeletable, IHasId
{
    public const int MaxNameLength = 200;
    public const int MaxTemplateLength = 10_000;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public required string Name { get; set; }
    public Guid WebhookTriggerDefinitionId { get; set; }
    public WebhookTriggerDefinition? WebhookTriggerDefinition { get; set; }
    public string TemplateBody { get; set; } = "";
    public string Status { get; set; } = TriggerOperationStatus.Inactive;

    /// <summary>The flow every event runs; null when a flow is generated from each event's request.</summary>
    public Guid? FlowId { get; set; }

    /// <summary>Whether the runs it starts wait for approval (§11: by default, exactly when no fixed flow is set).</summary>
    public bool RequiresApproval { get; set; } = true;

    /// <summary>The credential whose secrets verify the platform's signatures (Slack signing secret, Trello app secret).</summary>
    public Guid? IntegrationCredentialId { get; set; }

    /// <summary>
    /// The generic trigger's HMAC secret, encrypted with Data Protection (the receiver needs the value itself to verify a
    /// signature, so a hash cannot do). Shown once, when the operation is created.
    /// </summary>
    public string? ProtectedSigningSecret { get; set; }

    public DateTime CreatedDate { get; set; }
    public DateTime ModifiedDate { get; set; }
    public string? CreatedByEmail { get; set; }
    public string? ModifiedByEmail { get; set; }
    public DateTime? DeletedAt { get; set; }

    /// <summary>Deletes the operation and destroys its signing secret: deliveries can no longer be verified, nor the secret recovered.</summary>
    public void Delete(DateTime now)
    {
        DeletedAt = now;
        ProtectedSigningSecret = null;
    }
}

/// <summary>The approval policy of trigger operations (§11).</summary>
public static class TriggerApprovalPolicy
{
    /// <summary>
    /// Whether an operation's runs wait for approval when the client does not say: a generated flow is never run unseen, so
    /// exactly when no fixed flow is set.
    /// </summary>
    public static bool RequiresApprovalByDefault(Guid? flowId) => flowId is null;
}
