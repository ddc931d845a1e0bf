namespace Neena.Integrations;

/// <summary>
/// The task failed for a reason that retrying will not fix (bad data, a refused address, an explicit error).
/// The flow executor records the message as the task's error.
/// </summary>
public sealed class TaskFailedException : Exception
{
    public TaskFailedException()
        : base("The task failed.")
    {
    }

    public TaskFailedException(string message)
        : base(message)
    {
    }

    public TaskFailedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The task failed for a reason that may go away on its own (network failure, timeout, HTTP 5xx),
/// so the executor may retry it.
/// </summary>
public sealed class TransientTaskException : Exception
{
    public TransientTaskException()
        : base("The task failed transiently.")
    {
    }

    public TransientTaskException(string message)
        : base(message)
    {
    }

    public TransientTaskException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// How long the platform asked callers to wait before trying again (its <c>Retry-After</c>), when it said so; a retry
    /// sooner than that would only be refused again. Null leaves the delay to the executor's backoff.
    /// </summary>
    public TimeSpan? RetryAfter { get; init; }
}

/// <summary>The task's input does not fit its input type; retrying with the same input cannot succeed.</summary>
public sealed class TaskInputException : Exception
{
    public TaskInputException()
        : base("The task input is invalid.")
    {
    }

    public TaskInputException(string message)
        : base(message)
    {
    }

    public TaskInputException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public TaskInputException(string field, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Field = field;
    }

    /// <summary>The snake_case input field at fault (a JSON path below the input for nested values), when known.</summary>
    public string? Field { get; }
}
