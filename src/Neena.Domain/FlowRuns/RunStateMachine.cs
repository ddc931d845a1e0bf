namespace Neena.Domain.FlowRuns;

/// <summary>
/// The flow-run lifecycle's rules, in one place: which states are open, and from which states each transition may
/// happen. <c>Neena.Persistence.FlowRuns.RunLifecycle</c> turns them into conditional SQL that the API and the engine
/// both use, so no caller spells a status condition of its own.
/// </summary>
/// <remarks>
/// A run is created <c>pending</c> and awaiting approval (<c>approval_status</c> null). Approval makes it
/// <c>in_progress</c> (the engine works on it); rejection ends it <c>cancelled</c>. An open run may be cancelled; the
/// engine finishes an in-progress run <c>completed</c> or <c>failed</c>. Every ending writes exactly one flow result.
/// Task runs share the statuses: <c>pending</c> (not started, or waiting for a retry), <c>in_progress</c>, and the
/// three final ones; ending a run ends its open task runs <c>cancelled</c>.
/// </remarks>
public static class RunStateMachine
{
    /// <summary>The states of a run or task run that has not ended.</summary>
    public static readonly IReadOnlyList<string> OpenStatuses = [RunStatus.Pending, RunStatus.InProgress];

    /// <summary>A pending run awaiting its approval becomes <c>in_progress</c>: the engine takes it from here.</summary>
    public static readonly RunTransition Approve = new("approved", [RunStatus.Pending], AwaitingApprovalOnly: true, RunStatus.InProgress, ApprovalStatus.Approved);

    /// <summary>A pending run awaiting its approval ends <c>cancelled</c>, rejected.</summary>
    public static readonly RunTransition Reject = new("rejected", [RunStatus.Pending], AwaitingApprovalOnly: true, RunStatus.Cancelled, ApprovalStatus.Rejected);

    /// <summary>Any open run ends <c>cancelled</c>.</summary>
    public static readonly RunTransition Cancel = new("cancelled", OpenStatuses, AwaitingApprovalOnly: false, RunStatus.Cancelled, Approval: null);

    /// <summary>The engine ends an in-progress run <c>completed</c>.</summary>
    public static readonly RunTransition Complete = new("completed", [RunStatus.InProgress], AwaitingApprovalOnly: false, RunStatus.Completed, Approval: null);

    /// <summary>The engine ends an in-progress run <c>failed</c>.</summary>
    public static readonly RunTransition Fail = new("failed", [RunStatus.InProgress], AwaitingApprovalOnly: false, RunStatus.Failed, Approval: null);

    /// <summary>
    /// A failed or cancelled run that had been approved resumes where it stopped: <c>in_progress</c> again, its unfinished
    /// task runs pending (completed ones are kept). A run that never started (rejected, cancelled awaiting approval) has
    /// nothing to resume.
    /// </summary>
    public static readonly RunTransition Retry = new("retried", [RunStatus.Failed, RunStatus.Cancelled], AwaitingApprovalOnly: false, RunStatus.InProgress, ApprovalStatus.Approved)
    {
        ApprovedOnly = true,
    };

    public static bool IsOpen(string status) => OpenStatuses.Contains(status);

    /// <summary>
    /// How far along its life a run or task run in <paramref name="status"/> is: the open statuses in their order (a task
    /// run's <c>waiting</c> after <c>in_progress</c>), then every finished one (a task run's <c>skipped</c> too). Only
    /// <see cref="Retry"/> ever moves a run back.
    /// </summary>
    public static int Progress(string status) =>
        TaskRunConditions.Finished.Statuses.Contains(status) ? OpenStatuses.Count + 1
        : status == TaskRunStatus.Waiting ? OpenStatuses.Count
        : OpenStatuses.ToList().IndexOf(status);

    /// <summary>The engine's ending for an outcome (<c>completed</c> or <c>failed</c>).</summary>
    public static RunTransition Finish(string outcome) => outcome switch
    {
        RunStatus.Completed => Complete,
        RunStatus.Failed => Fail,
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "The engine finishes a run completed or failed."),
    };
}

/// <summary>
/// A legal change of a run's state: from one of <paramref name="From"/> (and, when <paramref name="AwaitingApprovalOnly"/>,
/// only while no approval decision exists) to <paramref name="To"/>, setting <paramref name="Approval"/> when not null.
/// </summary>
/// <param name="Verb">How the change reads in messages: "cannot be <c>approved</c>".</param>
public sealed record RunTransition(string Verb, IReadOnlyList<string> From, bool AwaitingApprovalOnly, string To, string? Approval)
{
    /// <summary>The transition ends the run: an end time, the open task runs cancelled, one flow result.</summary>
    public bool Ends => RunStatus.IsFinished(To);

    /// <summary>Only a run that was approved (and so has task runs to resume) may make the change.</summary>
    public bool ApprovedOnly { get; init; }

    public bool Allows(string status, string? approvalStatus) =>
        From.Contains(status) && (!AwaitingApprovalOnly || approvalStatus is null) && (!ApprovedOnly || approvalStatus == ApprovalStatus.Approved);
}
