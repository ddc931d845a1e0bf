using Neena.Domain.Common;

namespace Neena.Domain.Catalogue;

/// <summary>One field of a webhook trigger's event: where its value is in the delivered JSON and what it is.</summary>
public sealed record EventFieldDefinition(string Name, string JsonPath, string DataType, string? DocString, bool Optional);

/// <summary>A platform event that can start a flow (a Trello card created, a Slack message posted), synchronised from code.</summary>
public sealed class WebhookTriggerDefinition : ISoftDeletable, IHasId
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid IntegrationId { get; set; }
    public Integration? Integration { get; set; }
    public required string TriggerName { get; set; }

    /// <summary>The declaring type's full name; the column keeps the original's name.</summary>
    public required string PythonMethodName { get; set; }

    public string Description { get; set; } = "";

    /// <summary>The platform's event name (Trello action type, Slack event type); null when any delivery is taken.</summary>
    public string? EventType { get; set; }

    /// <summary>The event field naming the platform entity a delivery is about; null when there is none.</summary>
    public string? EntityField { get; set; }

    public List<EventFieldDefinition> EventFields { get; set; } = [];

    public DateTime CreatedDate { get; set; }
    public DateTime ModifiedDate { get; set; }
    public string? CreatedByEmail { get; set; }
    public string? ModifiedByEmail { get; set; }
    public DateTime? DeletedAt { get; set; }
}
