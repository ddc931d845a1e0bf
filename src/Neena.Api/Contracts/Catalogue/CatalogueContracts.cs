using Neena.Api.Contracts.Common;
using Neena.Domain.Catalogue;

namespace Neena.Api.Contracts.Catalogue;

/// <param name="ShortName">The integration's unique short name, e.g. <c>core</c> or <c>http</c>.</param>
/// <param name="AuthType">How the integration authenticates to its platform.</param>
/// <param name="CredentialFields">The fields an integration credential for it holds (<c>POST /integration_credentials</c>); empty when it takes none.</param>
[OutputSchema("Integration")]
public sealed record IntegrationResponse(
    string ClassName,
    string Name,
    string ShortName,
    [property: ApiField(Values = ["none", "api_key", "oauth2"], EnumName = "AuthType")] string AuthType,
    Guid Id,
    DateTime CreatedDate,
    DateTime ModifiedDate,
    IReadOnlyList<CredentialFieldDefinition> CredentialFields);

/// <param name="Integration">The id of the integration the task belongs to.</param>
/// <param name="Parameters">The task's inputs: the names a task operation's <c>parameters</c> may bind.</param>
/// <param name="PythonMethodName">The implementing method's full name (the field keeps the original Neena's name).</param>
/// <param name="OutputParameters">The fields of the task's result.</param>
/// <param name="OutputIsList">Whether the task returns a list.</param>
[OutputSchema("TaskDefinition")]
public sealed record TaskDefinitionResponse(
    string TaskName,
    Guid Integration,
    IReadOnlyList<ParameterDefinition> Parameters,
    string InputType,
    string InputYml,
    string Description,
    string PythonMethodName,
    string OutputType,
    string OutputYml,
    IReadOnlyList<ParameterDefinition> OutputParameters,
    bool OutputIsList,
    Guid Id,
    DateTime CreatedDate,
    DateTime ModifiedDate,
    string? CreatedByEmail,
    string? ModifiedByEmail,
    DateTime? DeletedAt,
    IntegrationResponse BelongsToIntegration);

/// <param name="Integration">The id of the integration the trigger belongs to.</param>
/// <param name="PythonMethodName">The declaring type's full name (the field keeps the original Neena's name).</param>
/// <param name="EventFields">The values taken from each delivery: name, where in the delivered JSON (<c>json_path</c>), type.</param>
/// <param name="EventType">The platform's name for the event (Trello action type, Slack event type); null when any delivery is taken.</param>
/// <param name="EntityField">The event field that identifies the platform entity a delivery is about (its <c>integration_entity_id</c>); null when none does.</param>
[OutputSchema("WebhookTriggerDefinition")]
public sealed record WebhookTriggerDefinitionResponse(
    Guid Id,
    string TriggerName,
    Guid Integration,
    string PythonMethodName,
    IReadOnlyList<EventFieldDefinition> EventFields,
    string Description,
    string? EventType,
    string? EntityField,
    DateTime CreatedDate,
    DateTime ModifiedDate,
    string? CreatedByEmail,
    string? ModifiedByEmail,
    DateTime? DeletedAt,
    IntegrationResponse BelongsToIntegration);
