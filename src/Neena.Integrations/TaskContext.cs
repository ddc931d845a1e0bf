using Microsoft.Extensions.Logging;
using Neena.Integrations.Credentials;

namespace Neena.Integrations;

/// <summary>
/// What a running task may use besides its input: cancellation, services, a logger scoped to the run, and its
/// organization's credentials.
/// </summary>
public sealed class TaskContext
{
    // CancellationToken comes last to follow the .NET convention (CA1068).
    public TaskContext(IServiceProvider services, ILogger logger, CancellationToken cancellationToken)
        : this(services, logger, timeLimit: null, cancellationToken)
    {
    }

    /// <param name="timeLimit">The engine's time limit for this attempt (<c>Engine:TaskTimeoutSeconds</c>); null when none applies.</param>
    public TaskContext(IServiceProvider services, ILogger logger, TimeSpan? timeLimit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(logger);
        Services = services;
        Logger = logger;
        TimeLimit = timeLimit;
        CancellationToken = cancellationToken;
    }

    public CancellationToken CancellationToken { get; }

    /// <summary>How long this attempt may take before the engine cancels it; null when no limit applies.</summary>
    public TimeSpan? TimeLimit { get; }

    public IServiceProvider Services { get; }

    public ILogger Logger { get; }

    /// <summary>
    /// The organization's credentials for the integrations the task calls. The default has none, so a task that needs one
    /// fails with <c>No credential for integration '…'</c> unless the executor supplies
    /// <see cref="CredentialAccessor.ForOrganization"/>.
    /// </summary>
    public ICredentialAccessor Credentials { get; init; } = CredentialAccessor.None;
}
