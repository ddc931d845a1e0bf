using Neena.Domain.Catalogue;

namespace Neena.Api.Contracts.Catalogue;

public sealed record IntegrationResponse(
    string ClassName,
    string Name,
    string ShortName,
    string AuthType,
    Guid Id,
    DateTime CreatedDate,
    DateTime ModifiedDate);

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
