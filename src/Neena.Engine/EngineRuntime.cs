using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Neena.Agent.Preparation;
using Neena.Integrations;
using Neena.Persistence.FlowRuns;

namespace Neena.Engine;

/// <summary>Why a worker stops before its run is finished.</summary>
internal enum StopReason
{
    None = 0,

    /// <summary>The instance is shutting down: interrupted tasks go back to <c>pending</c> and the lease is released.</summary>
    Shutdown = 1,

    /// <summary>The run is no longer ours (cancelled, lease lost, instance halted): write nothing more.</summary>
    Abandon = 2,

    /// <summary>
    /// The lease could not be renewed in time and may soon expire: stop before another instance can take the run over,
    /// then hand it back as on shutdown (the hand-back writes are fenced, so they are harmless if it was taken meanwhile).
    /// </summary>
    LeaseAtRisk = 3,
}

/// <summary>What one engine instance shares between its run workers.</summary>
internal sealed record EngineRuntime(
    EngineOptions Options,
    RunLease Lease,
    Npgsql.NpgsqlDataSource DataSource,
    IServiceScopeFactory Scopes,
    TaskPreparer Preparer,
    IntegrationCatalogue Catalogue,
    TaskInvoker Invoker,
    EngineMetrics Metrics,
    ILogger Logger,
    ILogger TaskLogger,
    SemaphoreSlim TaskGate,
    CancellationToken Draining,
    CancellationToken HardStop);
