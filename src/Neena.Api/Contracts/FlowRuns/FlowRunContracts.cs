using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Neena.Api.Contracts.Common;
using Neena.Api.Validation;
using Neena.Domain.FlowRuns;

namespace Neena.Api.Contracts.FlowRuns;

[InputSchema("FlowRunCreate")]
public sealed record CreateFlowRunRequest
{
    /// <summary>The id of the flow to run (of your organization).</summary>
    [ApiField(Required = true)]
    public Guid? Flow { get; init; }

    /// <summary>The id of the flow request the run serves (of your organization).</summary>
    [ApiField(Required = true)]
    public Guid? FlowRequest { get; init; }

    /// <summary>Only <c>pending</c>, the default: a run starts pending.</summary>
    [ApiField(Values = [RunStatus.Pending])]
    public string? Status { get; init; }

    /// <summary>Null (the default) awaits approval; <c>approved</c> starts the run at once; <c>rejected</c> creates it cancelled.</summary>
    [ApiField(ValuesOf = typeof(Domain.FlowRuns.ApprovalStatus))]
    public string? ApprovalStatus { get; init; }

    /// <summary>Defaults to now.</summary>
    public DateTime? TriggeredTime { get; init; }

    /// <summary>Must be null: a new run has not ended.</summary>
    public DateTime? EndTime { get; init; }

    /// <summary>Who triggered the run (at most 320 characters); defaults to your email.</summary>
    public string? TriggeredBy { get; init; }

    /// <summary>Labels for the run (at most 20, unique, each 1…64 letters, digits or <c>- _ . : /</c>), e.g. <c>["env:prod", "nightly"]</c>; the list filter <c>tag=</c> finds them.</summary>
    public IReadOnlyList<string>? Tags { get; init; }
}

public sealed class CreateFlowRunRequestValidator : AbstractValidator<CreateFlowRunRequest>
{
    public CreateFlowRunRequestValidator()
    {
        RuleFor(r => r.Flow).NotNull();
        RuleFor(r => r.FlowRequest).NotNull();
        RuleFor(r => r.Status).Must(s => s is null or RunStatus.Pending)
            .WithMessage($"unexpected value; permitted: '{RunStatus.Pending}' (a run starts {RunStatus.Pending})");
        RuleFor(r => r.ApprovalStatus).Must(s => s is null or Domain.FlowRuns.ApprovalStatus.Approved or Domain.FlowRuns.ApprovalStatus.Rejected)
            .WithMessage($"unexpected value; permitted: null, '{Domain.FlowRuns.ApprovalStatus.Approved}', '{Domain.FlowRuns.ApprovalStatus.Rejected}'");
        RuleFor(r => r.EndTime).Null().WithMessage("must be null: a new run has not ended");
        RuleFor(r => r.TriggeredBy).MaximumLength(320);
        RuleFor(r => r.Tags).MaxItems(RunTags.MaxCount);
        RuleFor(r => r.Tags).Must(t => t is null || t.Where(x => x is not null).Distinct(StringComparer.Ordinal).Count() == t.Count(x => x is not null))
            .WithMessage("tags must be unique");
        RuleForEach(r => r.Tags).Must(t => t is not null && RunTags.IsValid(t))
            .WithMessage(TagMessage);
    }

    internal const string TagMessage = "a tag has 1 to 64 characters, each a letter, a digit or one of - _ . : /";
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

    /// <summary>Runs carrying this tag (set on create).</summary>
    [FromQuery(Name = "tag")]
    public string? Tag { get; init; }

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
        RuleFor(f => f.Tag).Must(t => t is null || RunTags.IsValid(t)).WithMessage(CreateFlowRunRequestValidator.TagMessage);
    }
}

/// <summary>The failed task of a failed run.</summary>
/// <param name="Index">Its task operation index.</param>
/// <param name="Name">Its task operation's name.</param>
/// <param name="Error">Why it failed.</param>
[OutputSchema("FailedTask")]
public sealed record FailedTaskResponse(int Index, string Name, string? Error);

/// <param name="TaskOperationIndex">The <c>index</c> of the task operation this task run executes.</param>
/// <param name="Status">As a run's, and also <c>skipped</c> (its incoming edges were not taken: it ended without preparation or call) or <c>waiting</c> (an approval step awaiting an answer).</param>
/// <param name="TaskPrepPrompt">What preparation asked: <c>{"messages": [{"role", "content"}, …]}</c>, null until the task is prepared.</param>
/// <param name="TaskPrepAnswer">What preparation answered: <c>{"parameters": [{"name", "value", "explanation"}, …]}</c>, null until the task is prepared.</param>
/// <param name="Result">The task's JSON output, null until it completes.</param>
/// <param name="Error">Why the task failed or was cancelled.</param>
/// <param name="Attempt">How many times the task has been started (retries and take-overs count).</param>
/// <param name="OperationName">The task operation's name.</param>
/// <param name="PromptTokens">Tokens sent to the language model while preparing this task (all attempts; 0 without a model).</param>
/// <param name="CompletionTokens">Tokens the language model answered while preparing this task (all attempts).</param>
/// <param name="IntegrationCredential">The credential the task operation named when the run started (copied, like the rest of the operation); null: the organization's newest for the task's integration.</param>
/// <param name="DurationMs">Milliseconds from its start to its end; null until it has ended (or if it never started).</param>
/// <param name="Items">A <c>for_each</c> task run's items in order (empty until the array is resolved); null for a task run without <c>for_each</c>.</param>
[OutputSchema("TaskRun")]
public sealed record TaskRunResponse(
    Guid Id,
    Guid FlowRun,
    int TaskOperationIndex,
    [property: ApiField(ValuesOf = typeof(TaskRunStatus))] string Status,
    DateTime? StartTime,
    DateTime? EndTime,
    StoredJsonObject? TaskPrepPrompt,
    StoredJsonObject? TaskPrepAnswer,
    StoredJson? Result,
    string? Error,
    int Attempt,
    string OperationName,
    long PromptTokens,
    long CompletionTokens,
    Guid? IntegrationCredential,
    long? DurationMs,
    IReadOnlyList<TaskRunItemResponse>? Items);

/// <summary>One item of a <c>for_each</c> task run.</summary>
/// <param name="Index">Its place in the array, from 0.</param>
/// <param name="Status"><c>pending</c>, <c>in_progress</c>, <c>completed</c>, <c>failed</c> or <c>skipped</c> (its per-item conditions did not hold: no call).</param>
/// <param name="Result">The item's output, null unless it completed.</param>
/// <param name="Error">Why it failed (or last failed, while it waits for its next attempt).</param>
/// <param name="Attempt">How many times the item has been started.</param>
[OutputSchema("TaskRunItem")]
public sealed record TaskRunItemResponse(
    int Index,
    [property: ApiField(ValuesOf = typeof(TaskRunItemStatus))] string Status,
    StoredJson? Result,
    string? Error,
    int Attempt);

/// <param name="Status"><c>pending</c> → <c>in_progress</c> → <c>completed</c>, <c>failed</c> or <c>cancelled</c>.</param>
/// <param name="ApprovalStatus">Null while the run awaits approval, then <c>approved</c> or <c>rejected</c>.</param>
/// <param name="TaskRuns">One per task operation once the run is approved, ordered by <c>task_operation_index</c>.</param>
/// <param name="StartTime">When the run was approved and handed to the engine.</param>
/// <param name="TotalTokens">Language model tokens of all its task runs (prompt and completion).</param>
/// <param name="DurationMs">Milliseconds from its start (approval; its creation if it ended without starting) to its end; null while open.</param>
/// <param name="FailedTask">The failed task run (<c>{index, name, error}</c>, the lowest index if several) of a failed run: one that stopped the run before any tolerated one (<c>continue_on_failure</c>); of a completed run, its first tolerated failure; else null.</param>
/// <param name="Tags">Labels set on create.</param>
/// <param name="RunType">How the run was created: <c>manual</c> (a user's JWT), <c>api</c> (an API key), <c>webhook</c> or <c>schedule</c> (a trigger run).</param>
/// <param name="RanByType">Who ran the run: the credential whose approval started it, or, until it is approved, its creator; <c>user</c> or <c>api_key</c>; null for a webhook's run.</param>
/// <param name="RanById">The user id (<c>user</c>) or API key id (<c>api_key</c>) of <c>ran_by_type</c>.</param>
/// <param name="CreatedByType">The credential that created the run (<c>user</c> or <c>api_key</c>); null for a webhook's run.</param>
/// <param name="CreatedById">The user id or API key id that created the run.</param>
/// <param name="RetryCount">How many times the run was retried (<c>PUT /flow_runs/retry</c>).</param>
[OutputSchema("FlowRun")]
public sealed record FlowRunResponse(
    Guid Flow,
    Guid FlowRequest,
    [property: ApiField(ValuesOf = typeof(RunStatus))] string Status,
    [property: ApiField(ValuesOf = typeof(Domain.FlowRuns.ApprovalStatus))] string? ApprovalStatus,
    DateTime? TriggeredTime,
    DateTime? EndTime,
    string? TriggeredBy,
    Guid Id,
    IReadOnlyList<TaskRunResponse> TaskRuns,
    DateTime? StartTime,
    DateTime CreatedDate,
    DateTime ModifiedDate,
    long TotalTokens,
    long? DurationMs,
    FailedTaskResponse? FailedTask,
    IReadOnlyList<string> Tags,
    [property: ApiField(ValuesOf = typeof(Domain.FlowRuns.RunType))] string RunType,
    [property: ApiField(ValuesOf = typeof(Domain.FlowRuns.RanByType))] string? RanByType,
    Guid? RanById,
    [property: ApiField(ValuesOf = typeof(Domain.FlowRuns.RanByType))] string? CreatedByType,
    Guid? CreatedById,
    int RetryCount);

[OutputSchema("FlowRunPreview")]
public sealed record FlowRunPreviewResponse(
    Guid Id,
    string FlowName,
    string FlowRequestInstructions,
    [property: ApiField(ValuesOf = typeof(Domain.FlowRuns.ApprovalStatus))] string? ApprovalStatus,
    DateTime? StartTime,
    [property: ApiField(ValuesOf = typeof(RunStatus))] string Status,
    DateTime? EndTime,
    Guid Flow,
    DateTime? TriggeredTime);

/// <param name="Body">A JSON document, as a string: the outcome, the outputs of the final tasks and the errors.</param>
[OutputSchema("FlowResult")]
public sealed record FlowResultResponse(
    string Body,
    Guid? TriggerRunId,
    string? IntegrationEntityId,
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
