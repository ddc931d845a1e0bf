using System.Text.Json.Nodes;

namespace Neena.Integrations.Triggers;

/// <summary>
/// Declares a webhook trigger: an event a platform sends that can start a flow. Put it on a record beside the
/// integration's tasks; each public property of the record is one event field and carries an <see cref="EventFieldAttribute"/>
/// saying where in the delivered JSON its value is. The catalogue derives data types and optionality from the property
/// types as it does for task inputs.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class TriggerAttribute(string name, Type integration) : Attribute
{
    public string Name { get; } = name;

    /// <summary>The <see cref="IntegrationAttribute"/> class the trigger belongs to.</summary>
    public Type Integration { get; } = integration;

    public string Description { get; init; } = "";

    /// <summary>
    /// The platform's name for the event this trigger takes (Trello's action type such as <c>createCard</c>, the Slack Events
    /// API's event type such as <c>message</c>); null when any delivery is taken.
    /// </summary>
    public string? Event { get; init; }

    /// <summary>
    /// The snake_case name of the event field that identifies the platform entity the event is about (a card id): the
    /// <c>integration_entity_id</c> of the runs it starts. Null when deliveries are about no particular entity.
    /// </summary>
    public string? EntityField { get; init; }
}

/// <summary>Where an event field's value is in the delivered JSON: a path such as <c>$.action.data.card.id</c>.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class EventFieldAttribute(string jsonPath) : Attribute
{
    public string JsonPath { get; } = jsonPath;
}

/// <summary>One event field as the catalogue stores it.</summary>
public sealed record EventFieldDescriptor(string Name, string JsonPath, string DataType, string? DocString, bool Optional);

public sealed record TriggerDescriptor(
    string TriggerName,
    string Description,
    string TypeName,
    string? EventType,
    string? EntityField,
    IReadOnlyList<EventFieldDescriptor> EventFields)
{
    public required Type EventClrType { get; init; }
    public required Type IntegrationType { get; init; }

    /// <summary>
    /// The event fields of one delivery, by name: each field's value at its path (a copy), or null where the delivery has
    /// none. Whether a missing required field is acceptable is the caller's decision.
    /// </summary>
    public JsonObject Extract(JsonNode? delivery)
    {
        var fields = new JsonObject();
        foreach (var field in EventFields)
            fields[field.Name] = JsonPath.Parse(field.JsonPath).Select(delivery)?.DeepClone();
        return fields;
    }
}
