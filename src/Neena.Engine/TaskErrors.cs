using System.Data.Common;
using System.Globalization;
using Neena.Agent.LanguageModel;
using Neena.Integrations;
using Neena.Persistence.FlowRuns;

namespace Neena.Engine;

/// <summary>What a failure during a task's attempt means for the engine.</summary>
internal enum TaskErrorKind
{
    /// <summary>May go away by itself (a timeout, the network, a 5xx): retried with back-off while attempts remain.</summary>
    Transient,

    /// <summary>Retrying the same input cannot help (bad input, an explicit failure, a bug): the task fails at once.</summary>
    Permanent,

    /// <summary>The run or the instance is stopping: an interruption, not a failure of the task; it uses up no attempt.</summary>
    Cancelled,

    /// <summary>The run is not ours any more (a fenced write was refused) or its state cannot be recorded: stop the whole run.</summary>
    LeaseLost,
}

/// <param name="Unexpected">Not an error a task reports on purpose: worth logging with its stack trace.</param>
/// <param name="RetryAfter">The least wait before a retry that the failing service asked for (a 429's <c>Retry-After</c>).</param>
internal sealed record TaskError(TaskErrorKind Kind, string Message, bool Unexpected = false, TimeSpan? RetryAfter = null);

/// <summary>The one place that classifies what went wrong while the engine worked on a task.</summary>
internal static class TaskErrors
{
    /// <param name="run">The run's token: cancelled when the run is cancelled, abandoned, or the instance stops.</param>
    /// <param name="timedOut">The attempt's own time limit (<c>Engine:TaskTimeoutSeconds</c>) has passed.</param>
    public static TaskError Classify(Exception exception, bool timedOut, double timeoutSeconds, CancellationToken run) => exception switch
    {
        // Whatever surfaces while the run or the instance is stopping (a cancelled call, a broken read) is the interruption.
        _ when run.IsCancellationRequested => new(TaskErrorKind.Cancelled, "The run or the engine instance is stopping."),
        LeaseLostException => new(TaskErrorKind.LeaseLost, exception.Message),
        // The store failed (database unreachable…): nothing more can be recorded; the lease expires and the run is taken over.
        DbException => new(TaskErrorKind.LeaseLost, $"Recording the task failed: {exception.Message}"),
        OperationCanceledException when timedOut => new(TaskErrorKind.Transient,
            string.Create(CultureInfo.InvariantCulture, $"The task timed out after {timeoutSeconds} s.")),
        // The model is unreachable, slow or rate-limiting: the engine's own backoff waits, as for any transient failure.
        LanguageModelUnavailableException unavailable => new(TaskErrorKind.Transient, exception.Message, RetryAfter: unavailable.RetryAfter),
        LanguageModelException => new(TaskErrorKind.Permanent, exception.Message),
        TransientTaskException or HttpRequestException or TimeoutException => new(TaskErrorKind.Transient, exception.Message),
        TaskFailedException or TaskInputException => new(TaskErrorKind.Permanent, exception.Message),
        // A cancellation the engine did not ask for: a timeout of the task's own, most likely.
        OperationCanceledException => new(TaskErrorKind.Transient, exception.Message),
        // A bug or an unexpected failure in the task: retrying the same input is unlikely to help.
        _ => new(TaskErrorKind.Permanent, $"{exception.GetType().Name}: {exception.Message}", Unexpected: true),
    };
}
