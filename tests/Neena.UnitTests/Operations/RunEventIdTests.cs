using Neena.Api.RunEvents;
using Neena.Domain.FlowRuns;

namespace Neena.UnitTests.Operations;

public sealed class RunEventIdTests
{
    [Fact]
    public void Format_RunAndTasks_WritesLettersAndAttemptsInIndexOrder()
    {
        var id = RunEventId.Format('I', [(2, 'P', 0), (0, 'C', 1), (1, 'I', 2)]);

        Assert.Equal("I.C1.I2.P0", id);
    }

    [Fact]
    public void TryParse_WhatFormatWrote_ReadsItBack()
    {
        Assert.True(RunEventId.TryParse("X.C1.F3.-0", out var run, out var tasks));

        Assert.Equal('X', run);
        Assert.Equal([('C', 1), ('F', 3), ('-', 0)], tasks);
    }

    [Fact]
    public void EveryTaskRunStatus_HasALetter_ThatAResumeReadsBack()
    {
        var letters = TaskRunStatus.All.Select(RunEventId.Letter).ToList();
        var id = RunEventId.Format('I', letters.Select((letter, index) => (index, letter, 1)));

        Assert.Equal(TaskRunStatus.All.Count, letters.Distinct().Count());
        Assert.True(RunEventId.TryParse(id, out _, out var tasks), id);
        Assert.Equal(letters, tasks.Select(t => t.Status));
    }

    [Theory]
    [InlineData(RunStatus.Pending, RunStatus.InProgress)]
    [InlineData(RunStatus.InProgress, TaskRunStatus.Waiting)]
    [InlineData(TaskRunStatus.Waiting, RunStatus.Completed)]
    [InlineData(RunStatus.Pending, TaskRunStatus.Skipped)]
    public void Progress_ALaterStatus_IsFurtherAlong(string earlier, string later) =>
        Assert.True(RunStateMachine.Progress(earlier) < RunStateMachine.Progress(later), $"{earlier} before {later}");

    [Theory]
    [InlineData("")]
    [InlineData("1e400")]
    [InlineData("NaN")]
    [InlineData("[]")]
    [InlineData("I.")]
    [InlineData("I.C")]
    [InlineData("I.C-1")]
    [InlineData("I.C99999999999")]
    [InlineData("IC.C1")]
    [InlineData("Z")]
    public void TryParse_AnythingElse_IsRefused(string text) => Assert.False(RunEventId.TryParse(text, out _, out _));
}
