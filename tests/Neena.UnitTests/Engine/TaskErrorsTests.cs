using Neena.Agent.LanguageModel;
using Neena.Engine;

namespace Neena.UnitTests.Engine;

public sealed class TaskErrorsTests
{
    [Fact]
    public void Classify_LanguageModelUnavailable_IsTransientWithTheEndpointsRetryAfter()
    {
        var error = TaskErrors.Classify(new LanguageModelUnavailableException("429 Too Many Requests", TimeSpan.FromSeconds(7)), timedOut: false, 300, CancellationToken.None);

        Assert.Equal(TaskErrorKind.Transient, error.Kind);
        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
        Assert.False(error.Unexpected);
    }

    [Fact]
    public void Classify_LanguageModelRefused_IsPermanent()
    {
        var error = TaskErrors.Classify(new LanguageModelException("401 Unauthorized"), timedOut: false, 300, CancellationToken.None);

        Assert.Equal(TaskErrorKind.Permanent, error.Kind);
        Assert.False(error.Unexpected);
    }
}
