using System.Text.Json.Nodes;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.FlowRequests;
using Neena.Api.Contracts.Flows;
using Neena.Domain.Flows;

namespace Neena.Api.Contracts.Generation;

/// <summary>
/// What to plan for: a stored flow request (<c>flow_request_id</c>, the later reference) or a bare text (<c>request</c>,
/// the original's parameter). Exactly one of the two.
/// </summary>
public sealed record GenerateQuery
{
    /// <summary>The stored flow request: the flow is saved and linked to it, unless <c>dry_run</c> is true.</summary>
    [FromQuery(Name = "flow_request_id")]
    public Guid? FlowRequestId { get; init; }

    /// <summary>True: plan for <c>flow_request_id</c> without saving (the unsaved body of <c>POST /flows</c>); default false.</summary>
    [FromQuery(Name = "dry_run")]
    public bool? DryRun { get; init; }

    /// <summary>The flow is saved: a stored request and no <c>dry_run</c>. A bare <c>request</c> text is never saved.</summary>
    public bool SavesFlow() => FlowRequestId is not null && Request is null && DryRun != true;

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
            // A length rule (not a Must) so that the OpenAPI document shows the query's 8–512 limit as the body's.
            .Length(Neena.Domain.FlowRequests.FlowRequest.MinInstructionsLength, Neena.Domain.FlowRequests.FlowRequest.MaxInstructionsLength).WithMessage((_, r) => FlowRequestRules.InstructionsError(r) ?? "")
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
/// A generated flow, with why it looks like this (<c>explanation</c>), what it cost (<c>usage</c>), who planned it
/// (<c>planner</c>: <c>model</c> or <c>data_flow</c>, and <c>model</c>) and the <c>candidates</c> it was chosen from. Saved
/// (<c>POST /flows/generate</c>, <c>GET /flows/generate?flow_request_id=</c>): the stored flow as <c>GET /flows</c> shows it,
/// ids and <c>sorted_index</c> included. Unsaved (<c>dry_run=true</c> or <c>request=</c>): the body of <c>POST /flows</c>
/// (posting it as-is creates it), the stored-only fields null.
/// </summary>
/// <param name="Id">The saved flow's id; null when unsaved.</param>
/// <param name="Organization">Null when unsaved.</param>
/// <param name="CreatedByHuman">False for a saved generated flow; null when unsaved.</param>
public sealed record GeneratedFlowResponse(
    Guid? Id,
    string Name,
    IReadOnlyList<GeneratedTaskOperation> TaskOperations,
    IReadOnlyList<GeneratedDependency> Dependencies,
    Guid? Organization,
    bool? CreatedByHuman,
    DateTime? CreatedDate,
    DateTime? ModifiedDate,
    string? CreatedByEmail,
    string? ModifiedByEmail,
    DateTime? DeletedAt,
    string Explanation,
    UsageResponse Usage,
    string Planner,
    string? Model,
    IReadOnlyList<CandidateResponse> Candidates)
{
    /// <summary>The stored flow with the plan's account of it.</summary>
    public static GeneratedFlowResponse Saved(FlowResponse flow, GeneratedFlowResponse plan)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(plan);
        return plan with
        {
            Id = flow.Id,
            Name = flow.Name,
            TaskOperations = flow.TaskOperations.Select(o => new GeneratedTaskOperation(
                o.Id, o.Flow, o.Name, o.TaskDefinition, o.Instruction, o.X, o.Y, o.Index, o.SortedIndex, o.Parameters, o.IntegrationCredential,
                o.CreatedDate, o.ModifiedDate, o.CreatedByEmail, o.ModifiedByEmail, o.Join, o.ContinueOnFailure, o.ForEach)).ToList(),
            Dependencies = flow.Dependencies.Select(d => new GeneratedDependency(
                d.Id, d.Flow, d.SourceTaskOperation, d.TargetTaskOperation, d.Instruction, d.Condition)).ToList(),
            Organization = flow.Organization,
            CreatedByHuman = flow.CreatedByHuman,
            CreatedDate = flow.CreatedDate,
            ModifiedDate = flow.ModifiedDate,
            CreatedByEmail = flow.CreatedByEmail,
            ModifiedByEmail = flow.ModifiedByEmail,
            DeletedAt = flow.DeletedAt,
        };
    }
}

/// <param name="Id">Null when unsaved.</param>
/// <param name="Flow">Null when unsaved.</param>
/// <param name="SortedIndex">The place in the flow's topological order; null when unsaved.</param>
/// <param name="IntegrationCredential">Always null from the planners: the task acts with the organization's newest credential
/// for its integration unless you name another one before posting the flow.</param>
/// <param name="Join">As in <c>POST /flows</c>: <c>all</c> or <c>any</c> (issue 20).</param>
/// <param name="ContinueOnFailure">As in <c>POST /flows</c>: the run goes on when this task fails.</param>
/// <param name="ForEach">As in <c>POST /flows</c>: one binding to an array, or null.</param>
public sealed record GeneratedTaskOperation(
    Guid? Id, Guid? Flow, string Name, Guid TaskDefinition, string? Instruction, double? X, double? Y, int Index, int? SortedIndex,
    JsonObject? Parameters, Guid? IntegrationCredential,
    DateTime? CreatedDate, DateTime? ModifiedDate, string? CreatedByEmail, string? ModifiedByEmail,
    [property: ApiField(ValuesOf = typeof(TaskJoin))] string Join, bool ContinueOnFailure, string? ForEach);

/// <param name="Id">Null when unsaved.</param>
/// <param name="Flow">Null when unsaved.</param>
/// <param name="Condition">As in <c>POST /flows</c>: when the dependency is taken; null: always.</param>
public sealed record GeneratedDependency(Guid? Id, Guid? Flow, int SourceTaskOperation, int TargetTaskOperation, string? Instruction, JsonObject? Condition);
