using System.Data.Common;
using Neena.Agent.LanguageModel;
using Neena.Engine;
using Neena.Integrations;
using Neena.Persistence.FlowRuns;

namespace Neena.UnitTests.Engine;

/// <summary>Each branch of <see cref="TaskErrors.Classify"/>, in its order: the first that matches decides.</summary>
public sealed class TaskErrorsTests
{
    private static TaskError Classify(Exception exception, bool timedOut = false, CancellationToken run = default) =>
        TaskErrors.Classify(exception, timedOut, 300, run);

    [Fact]
    public void Classify_AnythingWhileTheRunStops_IsCancelled()
    {
        using var stopping = new CancellationTokenSource();
        stopping.Cancel();

        // Even a lease loss or a permanent failure: while the run stops, whatever surfaces is the interruption.
        Assert.Equal(TaskErrorKind.Cancelled, Classify(new LeaseLostException(), run: stopping.Token).Kind);
        Assert.Equal(TaskErrorKind.Cancelled, Classify(new TaskFailedException("bad"), run: stopping.Token).Kind);
        Assert.Equal(TaskErrorKind.Cancelled, Classify(new InvalidOperationException("broken read"), timedOut: true, run: stopping.Token).Kind);
    }

    [Fact]
    public void Classify_LeaseLost_StopsTheRunWithItsMessage()
    {
        var error = Classify(new LeaseLostException("taken over"));

        Assert.Equal(TaskErrorKind.LeaseLost, error.Kind);
        Assert.Equal("taken over", error.Message);
    }

    [Fact]
    public void Classify_StoreFailure_IsALeaseLoss()
    {
        var error = Classify(new StoreDown("connection refused"));

        Assert.Equal(TaskErrorKind.LeaseLost, error.Kind);
        Assert.Equal("Recording the task failed: connection refused", error.Message);
    }

    [Fact]
    public void Classify_CancellationAfterTheTimeLimit_IsATransientTimeout()
    {
        var error = Classify(new TaskCanceledException(), timedOut: true);

        Assert.Equal(TaskErrorKind.Transient, error.Kind);
        Assert.Equal("The task timed out after 300 s.", error.Message);
        Assert.False(error.Unexpected);
    }

    [Fact]
    public void Classify_LanguageModelUnavailable_IsTransientWithTheEndpointsRetryAfter()
    {
        var error = Classify(new LanguageModelUnavailableException("429 Too Many Requests", TimeSpan.FromSeconds(7)));

        Assert.Equal(TaskErrorKind.Transient, error.Kind);
        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
        Assert.False(error.Unexpected);
    }

    [Fact]
    public void Classify_LanguageModelRefused_IsPermanent()
    {
        var error = Classify(new LanguageModelException("401 Unauthorized"));

        Assert.Equal(TaskErrorKind.Permanent, error.Kind);
        Assert.Equal("401 Unauthorized", error.Message);
        Assert.False(error.Unexpected);
    }

    public static TheoryData<Exception> TransientFailures => new()
    {
        new TransientTaskException("503 from the service"),
        new HttpRequestException("connection reset"),
        new TimeoutException("no answer"),
    };

    [Theory]
    [MemberData(nameof(TransientFailures))]
    public void Classify_TransientFailures_AreRetriedWithTheirMessage(Exception exception)
    {
        var error = Classify(exception);

        Assert.Equal(TaskErrorKind.Transient, error.Kind);
        Assert.Equal(exception.Message, error.Message);
        Assert.Null(error.RetryAfter);
        Assert.False(error.Unexpected);
    }

    public static TheoryData<Exception> PermanentFailures => new()
    {
        new TaskFailedException("the task said no"),
        new TaskInputException("url", "must be absolute"),
    };

    [Theory]
    [MemberData(nameof(PermanentFailures))]
    public void Classify_ReportedFailures_ArePermanentWithTheirMessage(Exception exception)
    {
        var error = Classify(exception);

        Assert.Equal(TaskErrorKind.Permanent, error.Kind);
        Assert.Equal(exception.Message, error.Message);
        Assert.False(error.Unexpected);
    }

    [Fact]
    public void Classify_CancellationNobodyAskedFor_IsTransient()
    {
        var error = Classify(new OperationCanceledException("the task's own timeout"));

        Assert.Equal(TaskErrorKind.Transient, error.Kind);
        Assert.Equal("the task's own timeout", error.Message);
    }

    [Fact]
    public void Classify_AnythingElse_IsAPermanentUnexpectedErrorNamedByItsType()
    {
        var error = Classify(new InvalidOperationException("a bug"));

        Assert.Equal(TaskErrorKind.Permanent, error.Kind);
        Assert.Equal("InvalidOperationException: a bug", error.Message);
        Assert.True(error.Unexpected);
    }

    private sealed class StoreDown(string message) : DbException(message);
}
