using Neena.Api.Contracts.Common;
using Neena.Domain.Catalogue;

namespace Neena.Api.Contracts.Catalogue;

/// <param name="ShortName">The integration's unique short name, e.g. <c>core</c> or <c>http</c>.</param>
/// <param name="AuthType">How the integration authenticates to its platform.</param>
[OutputSchema("Integration")]
public sealed record IntegrationResponse(
    string ClassName,
    string Name,
    string ShortName,
    [property: ApiField(Values = ["none", "api_key", "oauth2"], EnumName = "AuthType")] string AuthType,
    Guid Id,
    DateTime CreatedDate,
    DateTime ModifiedDate);

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
