using System.Text.Json.Nodes;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Neena.Domain.FlowRuns;

namespace Neena.Api.Contracts.FlowRuns;

public sealed record CreateFlowRunRequest
{
    public Guid? Flow { get; init; }
    public Guid? FlowRequest { get; init; }
    public string? Status { get; init; }
    public string? ApprovalStatus { get; init; }
    public DateTime? TriggeredTime { get; init; }
    public DateTime? EndTime { get; init; }
    public string? TriggeredBy { get; init; }
}

public sealed class CreateFlowRunRequestValidator : AbstractValidator<CreateFlowRunRequest>
{
    public CreateFlowRunRequestValidator()
    {
        RuleFor(r => r.Flow).NotNull();
        RuleFor(r => r.FlowRequest).NotNull();
        RuleFor(r => r.Status).Must(s => s is null or RunStatus.Pending)
            .WithMessage("unexpected value; permitted: 'pending' (a run starts pending)");
        RuleFor(r => r.ApprovalStatus).Must(s => s is null or Domain.FlowRuns.ApprovalStatus.Approved or Domain.FlowRuns.ApprovalStatus.Rejected)
            .WithMessage("unexpected value; permitted: null, 'approved', 'rejected'");
        RuleFor(r => r.EndTime).Null().WithMessage("must be null: a new run has not ended");
        RuleFor(r => r.TriggeredBy).MaximumLength(320);
    }
}

/// <summary>The optional list filters of <c>/flow_runs/all</c> and <c>/flow_runs/preview/all</c>.</summary>
public sealed record FlowRunFilter
{
    /// <summary>Comma-separated statuses, e.g. <c>pending,in_progress</c>.</summary>
    [FromQuery(Name = "status")]
    public string? Status { get; init; }

    [FromQuery(Name = "flow_id")]
    public Guid? FlowId { get; init; }

    /// <summary>Runs triggered at or after this time (UTC when no offset is given).</summary>
    [FromQuery(Name = "start_date")]
    public DateTime? StartDate { get; init; }

    /// <summary>Runs triggered at or before this time.</summary>
    [FromQuery(Name = "end_date")]
    public DateTime? EndDate { get; init; }

    public IReadOnlyList<string> Statuses() =>
        Status is null ? [] : Status.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

public sealed class FlowRunFilterValidator : AbstractValidator<FlowRunFilter>
{
    public FlowRunFilterValidator()
    {
        RuleFor(f => f.Status).Must((f, _) => f.Statuses().All(s => RunStatus.All.Contains(s)))
            .WithMessage($"unexpected value; permitted: {string.Join(", ", RunStatus.All.Select(s => $"'{s}'"))}")
            .MaximumLength(200);
        RuleFor(f => f.EndDate).Must((f, end) => end is null || f.StartDate is null || end >= f.StartDate)
            .WithMessage("end_date must not be before start_date");
    }
}

public sealed record TaskRunResponse(
    Guid Id,
    Guid FlowRun,
    int TaskOperationIndex,
    string Status,
    DateTime? StartTime,
    DateTime? EndTime,
    JsonObject? TaskPrepPrompt,
    JsonObject? TaskPrepAnswer,
    JsonNode? Result,
    string? Error,
    int Attempt,
    string OperationName);

public sealed record FlowRunResponse(
    Guid Flow,
    Guid FlowRequest,
    string Status,
    string? ApprovalStatus,
    DateTime? TriggeredTime,
    DateTime? EndTime,
    string? TriggeredBy,
    Guid Id,
    IReadOnlyList<TaskRunResponse> TaskRuns,
    DateTime? StartTime,
    DateTime CreatedDate,
    DateTime ModifiedDate);

public sealed record FlowRunPreviewResponse(
    Guid Id,
    string FlowName,
    string FlowRequestInstructions,
    string? ApprovalStatus,
    DateTime? StartTime,
    string Status,
    DateTime? EndTime,
    Guid Flow,
    DateTime? TriggeredTime);

public sealed record FlowResultResponse(
    string Body,
    Guid? TriggerRunId,
    Guid? IntegrationEntityId,
    Guid FlowRunId,
    Guid OrganizationId,
    Guid Id,
    DateTime CreatedDate,
    DateTime ModifiedDate,
    string? CreatedByEmail,
    string? ModifiedByEmail,
    DateTime? DeletedAt)
{
    public static FlowResultResponse From(FlowResult r) => new(
        r.Body, r.TriggerRunId, r.IntegrationEntityId, r.FlowRunId, r.OrganizationId, r.Id,
        r.CreatedDate, r.ModifiedDate, r.CreatedByEmail, r.ModifiedByEmail, r.DeletedAt);
}
