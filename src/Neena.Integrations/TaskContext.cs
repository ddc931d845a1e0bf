using Microsoft.Extensions.Logging;

namespace Neena.Integrations;

/// <summary>What a running task may use besides its input: cancellation, services and a logger scoped to the run.</summary>
public sealed class TaskContext
{
    // CancellationToken comes last to follow the .NET convention (CA1068).
    public TaskContext(IServiceProvider services, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(logger);
        Services = services;
        Logger = logger;
        CancellationToken = cancellationToken;
    }

    public CancellationToken CancellationToken { get; }

    public IServiceProvider Services { get; }

    public ILogger Logger { get; }
}
