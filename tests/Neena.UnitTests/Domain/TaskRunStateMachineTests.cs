using Neena.Domain.FlowRuns;

namespace Neena.UnitTests.Domain;

public sealed class TaskRunStateMachineTests
{
    private static TaskRun Task(int index, string status, int[]? dependsOn = null, int sortedIndex = 0, int attempt = 0) => new()
    {
        TaskOperationIndex = index,
        Status = status,
        DependsOn = [.. dependsOn ?? []],
        SortedIndex = sortedIndex,
        Attempt = attempt,
        OperationName = "op" + index,
    };

    private static Dictionary<int, TaskRun> ByIndex(params TaskRun[] tasks) => tasks.ToDictionary(t => t.TaskOperationIndex);

    private static readonly RequestValues NoRequest = new("", null, []);

    // Without issue 20's fields (join all, no conditions, no continue_on_failure) a task runs once every source completed.
    private static bool IsReady(TaskRun task, Dictionary<int, TaskRun> byIndex) => TaskDecisions.Decide(task, byIndex, NoRequest) == TaskDecision.Run;

    [Theory]
    [InlineData(RunStatus.Pending, true)]
    [InlineData(RunStatus.InProgress, true)] // interrupted: attempted again
    [InlineData(RunStatus.Completed, false)]
    [InlineData(RunStatus.Failed, false)]
    [InlineData(RunStatus.Cancelled, false)]
    public void IsReady_WithoutDependencies_OnlyWhenOpen(string status, bool ready)
    {
        var task = Task(0, status);
        Assert.Equal(ready, IsReady(task, ByIndex(task)));
    }

    [Theory]
    [InlineData(RunStatus.Completed, true)]
    [InlineData(RunStatus.Pending, false)]
    [InlineData(RunStatus.InProgress, false)]
    [InlineData(RunStatus.Failed, false)]
    [InlineData(RunStatus.Cancelled, false)]
    public void IsReady_OnlyOnceEveryDependencyCompleted(string dependencyStatus, bool ready)
    {
        var done = Task(0, RunStatus.Completed);
        var dependency = Task(1, dependencyStatus);
        var task = Task(2, RunStatus.Pending, [0, 1]);
        Assert.Equal(ready, IsReady(task, ByIndex(done, dependency, task)));
    }

    [Fact]
    public void IsReady_NeverWithAMissingDependency()
    {
        var task = Task(1, RunStatus.Pending, [7]);
        Assert.False(IsReady(task, ByIndex(task)));
    }

    [Fact]
    public void Ready_LeavesOutRunningTasks_AndOrdersByTheFlowsOrder()
    {
        var first = Task(0, RunStatus.Pending, sortedIndex: 2);
        var second = Task(1, RunStatus.Pending, sortedIndex: 0);
        var running = Task(2, RunStatus.InProgress, sortedIndex: 1);
        var blocked = Task(3, RunStatus.Pending, [0], sortedIndex: 3);
        var tasks = new[] { first, second, running, blocked };

        var ready = TaskRunStateMachine.Ready(tasks, ByIndex(tasks), t => ReferenceEquals(t, running), NoRequest);

        Assert.Equal([second, first], ready);
    }

    [Fact]
    public void Outcome_AllCompleted_Completes()
    {
        var outcome = TaskRunStateMachine.Outcome([Task(0, RunStatus.Completed), Task(1, RunStatus.Completed)]);
        Assert.Equal(new RunOutcome(RunStatus.Completed, null, Blocked: false), outcome);
    }

    [Fact]
    public void Outcome_NoTasks_Completes() =>
        Assert.Equal(RunStatus.Completed, TaskRunStateMachine.Outcome([]).Status);

    [Fact]
    public void Outcome_AFailedTask_FailsTheRunWithoutAMessageOfItsOwn()
    {
        var outcome = TaskRunStateMachine.Outcome([Task(0, RunStatus.Failed), Task(1, RunStatus.Pending, [0]), Task(2, RunStatus.Completed)]);
        Assert.Equal(new RunOutcome(RunStatus.Failed, null, Blocked: false), outcome);
    }

    [Theory]
    [InlineData(RunStatus.Pending)]
    [InlineData(RunStatus.InProgress)]
    [InlineData(RunStatus.Cancelled)]
    public void Outcome_TasksNeitherFailedNorCompleted_AreBlocked(string status)
    {
        var outcome = TaskRunStateMachine.Outcome([Task(0, RunStatus.Completed), Task(1, status)]);
        Assert.Equal(new RunOutcome(RunStatus.Failed, TaskRunStateMachine.BlockedMessage, Blocked: true), outcome);
    }

    [Theory]
    [InlineData(RunStatus.InProgress, 2, 3, true, false)]
    [InlineData(RunStatus.InProgress, 3, 3, true, true)]
    [InlineData(RunStatus.InProgress, 4, 3, true, true)]
    [InlineData(RunStatus.Pending, 3, 3, false, false)]
    [InlineData(RunStatus.Pending, 0, 3, false, false)]
    public void Interruption_IsAnInProgressTask_AndTooOftenOnceItsAttemptsAreUsed(string status, int attempt, int maxAttempts, bool interrupted, bool tooOften)
    {
        var task = Task(0, status, attempt: attempt);
        Assert.Equal(interrupted, TaskRunStateMachine.WasInterrupted(task));
        Assert.Equal(tooOften, TaskRunStateMachine.InterruptedTooOften(task, maxAttempts));
    }

    public static TheoryData<string, string, bool> Transitions => new()
    {
        { "start", RunStatus.Pending, true },
        { "start", RunStatus.InProgress, true },
        { "start", RunStatus.Completed, false },
        { "start", RunStatus.Failed, false },
        { "complete", RunStatus.InProgress, true },
        { "complete", RunStatus.Pending, false },
        { "retry later", RunStatus.InProgress, true },
        { "retry later", RunStatus.Pending, false },
        { "hand back", RunStatus.InProgress, true },
        { "hand back", RunStatus.Completed, false },
        { "fail", RunStatus.Pending, true },
        { "fail", RunStatus.InProgress, true },
        { "fail", RunStatus.Cancelled, false },
        { "cancel", RunStatus.Pending, true },
        { "cancel", RunStatus.InProgress, true },
        { "cancel", RunStatus.Completed, false },
        { "resume", RunStatus.Failed, true },
        { "resume", RunStatus.Cancelled, true },
        { "resume", RunStatus.Pending, true },
        { "resume", TaskRunStatus.Skipped, true },
        { "resume", RunStatus.Completed, false },
    };

    [Theory]
    [MemberData(nameof(Transitions))]
    public void Allows_EachTransition_OnlyFromItsSourceStates(string transition, string status, bool allowed)
    {
        var t = transition switch
        {
            "start" => TaskRunStateMachine.Start,
            "complete" => TaskRunStateMachine.Complete,
            "retry later" => TaskRunStateMachine.ScheduleRetry,
            "hand back" => TaskRunStateMachine.HandBack,
            "fail" => TaskRunStateMachine.Fail,
            "cancel" => TaskRunStateMachine.Cancel,
            "resume" => TaskRunStateMachine.Resume,
            _ => throw new ArgumentOutOfRangeException(nameof(transition)),
        };
        Assert.Equal(allowed, t.Allows(status));
    }
}
