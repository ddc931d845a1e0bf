using Neena.Domain.FlowRuns;

namespace Neena.UnitTests.Domain;

public sealed class RunStateMachineTests
{
    public static TheoryData<string, string, string?, bool> Cases => new()
    {
        { "approve", RunStatus.Pending, null, true },
        { "approve", RunStatus.Pending, ApprovalStatus.Approved, false },
        { "approve", RunStatus.InProgress, ApprovalStatus.Approved, false },
        { "reject", RunStatus.Pending, null, true },
        { "reject", RunStatus.Cancelled, ApprovalStatus.Rejected, false },
        { "cancel", RunStatus.Pending, null, true },
        { "cancel", RunStatus.InProgress, ApprovalStatus.Approved, true },
        { "cancel", RunStatus.Completed, ApprovalStatus.Approved, false },
        { "cancel", RunStatus.Cancelled, null, false },
        { "complete", RunStatus.InProgress, ApprovalStatus.Approved, true },
        { "complete", RunStatus.Pending, null, false },
        { "fail", RunStatus.InProgress, ApprovalStatus.Approved, true },
        { "fail", RunStatus.Failed, ApprovalStatus.Approved, false },
        { "retry", RunStatus.Failed, ApprovalStatus.Approved, true },
        { "retry", RunStatus.Cancelled, ApprovalStatus.Approved, true },
        { "retry", RunStatus.Cancelled, ApprovalStatus.Rejected, false },
        { "retry", RunStatus.Cancelled, null, false },
        { "retry", RunStatus.Completed, ApprovalStatus.Approved, false },
        { "retry", RunStatus.InProgress, ApprovalStatus.Approved, false },
        { "retry", RunStatus.Pending, null, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Allows_EachTransition_OnlyFromItsSourceStates(string transition, string status, string? approval, bool allowed)
    {
        var t = transition switch
        {
            "approve" => RunStateMachine.Approve,
            "reject" => RunStateMachine.Reject,
            "cancel" => RunStateMachine.Cancel,
            "complete" => RunStateMachine.Complete,
            "retry" => RunStateMachine.Retry,
            _ => RunStateMachine.Fail,
        };

        Assert.Equal(allowed, t.Allows(status, approval));
    }

    [Fact]
    public void Transitions_OnlyApprovalKeepsTheRunOpen()
    {
        Assert.False(RunStateMachine.Approve.Ends);
        Assert.False(RunStateMachine.Retry.Ends);
        Assert.All(new[] { RunStateMachine.Reject, RunStateMachine.Cancel, RunStateMachine.Complete, RunStateMachine.Fail }, t => Assert.True(t.Ends));
        Assert.Equal([RunStatus.Pending, RunStatus.InProgress], RunStateMachine.OpenStatuses);
        Assert.All(RunStatus.All, s => Assert.NotEqual(RunStatus.IsFinished(s), RunStateMachine.IsOpen(s)));
        Assert.Same(RunStateMachine.Fail, RunStateMachine.Finish(RunStatus.Failed));
        Assert.Throws<ArgumentOutOfRangeException>(() => RunStateMachine.Finish(RunStatus.Cancelled));
    }
}
