using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Neena.Api.Contracts.Common;
using Neena.Domain.Catalogue;

namespace Neena.Api.Contracts.Catalogue;

/// <summary>What <c>GET /task_definitions/retrieve</c> searches for, as the original took it.</summary>
public sealed record RetrieveQuery
{
    /// <summary>The request's text (1 to 512 characters): what the tasks should do.</summary>
    [FromQuery(Name = "request")]
    public string? Request { get; init; }

    /// <summary>How many definitions to answer, most similar first (1 to 50).</summary>
    [FromQuery(Name = "k")]
    public int K { get; init; } = RetrieveQueryValidator.DefaultK;
}

public sealed class RetrieveQueryValidator : AbstractValidator<RetrieveQuery>
{
    public const int DefaultK = 5;
    public const int MaxK = 50;
    public const int MaxRequestLength = 512;

    public RetrieveQueryValidator()
    {
        RuleFor(q => q.Request).Cascade(CascadeMode.Stop).NotNull().Must(r => !string.IsNullOrWhiteSpace(r))
            .WithMessage("ensure this value has at least 1 non-blank character").MaximumLength(MaxRequestLength);
        RuleFor(q => q.K).InclusiveBetween(1, MaxK);
    }
}

/// <summary>A task definition as <c>GET /task_definitions/?id=</c> shows it, plus how similar it is to the request.</summary>
/// <param name="Similarity">Cosine similarity of the request's and the definition's embeddings (-1 to 1; higher is closer).</param>
[OutputSchema("RetrievedTaskDefinition")]
public sealed record RetrievedTaskDefinitionResponse(
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
    IntegrationResponse BelongsToIntegration,
    double Similarity)
{
    public static RetrievedTaskDefinitionResponse Of(TaskDefinitionResponse d, double similarity) => new(
        d.TaskName, d.Integration, d.Parameters, d.InputType, d.InputYml, d.Description, d.PythonMethodName, d.OutputType,
        d.OutputYml, d.OutputParameters, d.OutputIsList, d.Id, d.CreatedDate, d.ModifiedDate, d.CreatedByEmail,
        d.ModifiedByEmail, d.DeletedAt, d.BelongsToIntegration, similarity);
}
