using System.Text.Json.Nodes;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.FlowRequests;
using Neena.Domain.Flows;

namespace Neena.Api.Contracts.Generation;

/// <summary>
/// What to plan for: a stored flow request (<c>flow_request_id</c>, the later reference) or a bare text (<c>request</c>,
/// the original's parameter). Exactly one of the two.
/// </summary>
public sealed record GenerateQuery
{
    [FromQuery(Name = "flow_request_id")]
    public Guid? FlowRequestId { get; init; }

    /// <summary>The request's text, as the original took it (8 to 512 characters).</summary>
    [FromQuery(Name = "request")]
    public string? Request { get; init; }
}

public sealed class GenerateQueryValidator : AbstractValidator<GenerateQuery>
{
    public GenerateQueryValidator()
    {
        RuleFor(q => q.FlowRequestId).NotNull().When(q => q.Request is null);
        RuleFor(q => q.Request).Null().When(q => q.FlowRequestId is not null).WithMessage("give either flow_request_id or request, not both");
        RuleFor(q => q.Request!)
            .Cascade(CascadeMode.Stop)
            .Must(r => !r.Contains('\0', StringComparison.Ordinal)).WithMessage("string contains a NUL character")
            .Must(r => FlowRequestRules.InstructionsError(r) is null).WithMessage((_, r) => FlowRequestRules.InstructionsError(r) ?? "")
            .When(q => q.Request is not null && q.FlowRequestId is null);
    }
}

/// <summary>A flow request to generate for and save into (<c>POST /flows/generate</c>): only a stored request can hold the flow.</summary>
public sealed record GenerateAndSaveQuery
{
    [FromQuery(Name = "flow_request_id")]
    public Guid? FlowRequestId { get; init; }
}

public sealed class GenerateAndSaveQueryValidator : AbstractValidator<GenerateAndSaveQuery>
{
    public GenerateAndSaveQueryValidator() => RuleFor(q => q.FlowRequestId).NotNull();
}

/// <summary>The flow request to generate a flow for, save, and run at once (<c>GET /flows/generate_flow_and_execute</c>).</summary>
public sealed record GenerateAndExecuteQuery
{
    [FromQuery(Name = "flow_request_id")]
    public Guid? FlowRequestId { get; init; }
}

public sealed class GenerateAndExecuteQueryValidator : AbstractValidator<GenerateAndExecuteQuery>
{
    public GenerateAndExecuteQueryValidator() => RuleFor(q => q.FlowRequestId).NotNull();
}

/// <summary>
/// A flow and a flow request to run it for (<c>flow_id</c> and <c>flow_request_id</c>, the later reference), or only a
/// flow (<c>id</c>, as the original frontend calls it): then its newest flow request.
/// </summary>
public sealed record ExecuteQuery
{
    /// <summary>The flow, run for its newest flow request (the original's form); instead of the other two.</summary>
    [FromQuery(Name = "id")]
    public Guid? Id { get; init; }

    [FromQuery(Name = "flow_id")]
    public Guid? FlowId { get; init; }

    [FromQuery(Name = "flow_request_id")]
    public Guid? FlowRequestId { get; init; }
}

public sealed class ExecuteQueryValidator : AbstractValidator<ExecuteQuery>
{
    public ExecuteQueryValidator()
    {
        RuleFor(q => q.FlowId).NotNull().When(q => q.Id is null);
        RuleFor(q => q.FlowRequestId).NotNull().When(q => q.Id is null);
        RuleFor(q => q.Id).Null().When(q => q.FlowId is not null || q.FlowRequestId is not null)
            .WithMessage("give either id or flow_id and flow_request_id, not both");
    }
}

/// <summary>Tokens the planning cost (zero without a model).</summary>
public sealed record UsageResponse(long PromptTokens, long CompletionTokens, long TotalTokens);

/// <summary>A task definition the planner considered, with its similarity to the request.</summary>
public sealed record CandidateResponse(Guid TaskDefinition, string TaskName, string Integration, double Similarity);

/// <summary>
/// An unsaved flow in the body shape of <c>POST /flows</c> (posting it as-is creates it), plus why it looks like this
/// (<c>explanation</c>), what it cost (<c>usage</c>), who planned it (<c>planner</c>: <c>model</c> or <c>data_flow</c>,
/// and <c>model</c>) and the <c>candidates</c> it was chosen from.
/// </summary>
public sealed record GeneratedFlowResponse(
    string Name,
    IReadOnlyList<GeneratedTaskOperation> TaskOperations,
    IReadOnlyList<GeneratedDependency> Dependencies,
    string Explanation,
    UsageResponse Usage,
    string Planner,
    string? Model,
    IReadOnlyList<CandidateResponse> Candidates);

/// <param name="IntegrationCredential">Always null from the planners: the task acts with the organization's newest credential
/// for its integration unless you name another one before posting the flow.</param>
/// <param name="Join">As in <c>POST /flows</c>: <c>all</c> or <c>any</c> (issue 20).</param>
/// <param name="ContinueOnFailure">As in <c>POST /flows</c>: the run goes on when this task fails.</param>
/// <param name="ForEach">As in <c>POST /flows</c>: one binding to an array, or null.</param>
public sealed record GeneratedTaskOperation(
    string Name, Guid TaskDefinition, string? Instruction, double? X, double? Y, int Index, JsonObject? Parameters, Guid? IntegrationCredential,
    [property: ApiField(ValuesOf = typeof(TaskJoin))] string Join, bool ContinueOnFailure, string? ForEach);

/// <param name="Condition">As in <c>POST /flows</c>: when the dependency is taken; null: always.</param>
public sealed record GeneratedDependency(int SourceTaskOperation, int TargetTaskOperation, string? Instruction, JsonObject? Condition);
