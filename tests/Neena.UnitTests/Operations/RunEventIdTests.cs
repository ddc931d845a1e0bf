using Neena.Api.RunEvents;

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
