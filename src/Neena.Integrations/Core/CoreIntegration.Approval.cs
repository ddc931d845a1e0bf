using System.ComponentModel;

namespace Neena.Integrations.Core;

public sealed partial class CoreIntegration
{
    /// <summary>
    /// Never invoked by the engine, which turns the step into a <c>waiting</c> task run and parks the run until a person
    /// answers (<c>PUT /flow_runs/approve_task</c> or <c>reject_task</c>); declared so that the task is in the catalogue.
    /// Reached only by a direct invocation, which cannot wait for a person.
    /// </summary>
    [Task("Approval", Description = "Gets a person's sign-off: an approver (or anyone of the organization with write access) approves or rejects this step through the API (PUT /flow_runs/approve_task or reject_task); a rejection, or no answer within timeout_seconds, fails it. Use it for a human approval gate, such as 'ask a manager to approve the invoice'.")]
    public Task<ApprovalOutput> Approval(ApprovalInput input, TaskContext context) =>
        throw new TaskFailedException("An approval step is answered by a person through the API; it cannot be invoked directly.");
}

public sealed record ApprovalInput
{
    [Description("What the approver is asked, e.g. 'Send the invoice of 1,200 EUR to ACME?' (1 to 4000 characters).")]
    public required string Message { get; init; }

    [Description("Seconds to wait for an answer (1 to 2592000, i.e. 30 days); without it the step waits until answered. When they pass, the task fails with 'Approval timed out'.")]
    public int? TimeoutSeconds { get; init; }

    [Description("E-mails of the organization's users who may answer (at most 50); without it anyone with the write scope may.")]
    public IReadOnlyList<string>? Approvers { get; init; }
}

public sealed record ApprovalOutput
{
    [Description("Always true: a rejection fails the task instead.")]
    public required bool Approved { get; init; }

    [Description("The e-mail of who approved.")]
    public string? By { get; init; }

    [Description("When it was approved (ISO 8601, UTC).")]
    public required string At { get; init; }

    [Description("The approver's comment, if any.")]
    public string? Comment { get; init; }
}
