using FluentValidation;
using Neena.Api.Contracts.Common;
using Neena.Domain.FlowRuns;

namespace Neena.Api.Contracts.FlowRuns;

/// <summary>The optional body of <c>PUT /flow_runs/approve_task</c> and <c>reject_task</c>.</summary>
[InputSchema("TaskAnswer")]
public sealed record TaskAnswerRequest
{
    /// <summary>Why, in the approver's words; kept in an approved step's result (at most 2000 characters).</summary>
    public string? Comment { get; init; }
}

public sealed class TaskAnswerRequestValidator : AbstractValidator<TaskAnswerRequest>
{
    public TaskAnswerRequestValidator()
    {
        RuleFor(r => r.Comment).MaximumLength(ApprovalSteps.MaxCommentLength);
    }
}
