using Neena.Agent.Preparation;
using Neena.Domain.Catalogue;
using Neena.Domain.FlowRuns;
using Neena.Persistence.FlowRuns;
using Npgsql;

namespace Neena.Engine;

/// <summary>What a worker needs to execute a claimed run, read once when it starts.</summary>
/// <param name="RetryDelays">How long until each of the run's waiting tasks is due, by the database's clock (zero when already due).</param>
internal sealed record RunSnapshot(
    Guid Id,
    Guid OrganizationId,
    string Status,
    string? ApprovalStatus,
    string FlowName,
    FlowRequestInfo Request,
    List<TaskRun> Tasks,
    IReadOnlyDictionary<Guid, TaskDefinition> Definitions,
    IReadOnlyList<DependencyInfo> Dependencies,
    IReadOnlyDictionary<Guid, TimeSpan> RetryDelays,
    string? StartTraceParent = null)
{
    /// <summary>The engine may still end the run: it is in progress (not cancelled or finished since its claim).</summary>
    public bool Workable => RunStateMachine.Complete.Allows(Status, ApprovalStatus);
}

/// <summary>Reads a claimed run through <see cref="RunSnapshots"/> (Persistence owns the SQL) into what the worker and preparation use.</summary>
internal static class RunLoader
{
    public static async Task<RunSnapshot?> LoadAsync(NpgsqlDataSource dataSource, Guid runId, CancellationToken cancellationToken) =>
        From(await RunSnapshots.LoadAsync(dataSource, runId, cancellationToken));

    /// <summary>See <see cref="RunSnapshots.ClaimAndLoadAsync"/>.</summary>
    public static async Task<(ClaimedRun Claim, RunSnapshot? Snapshot)?> ClaimAndLoadAsync(
        NpgsqlDataSource dataSource, RunLease lease, Guid runId, CancellationToken cancellationToken) =>
        await RunSnapshots.ClaimAndLoadAsync(dataSource, lease, runId, cancellationToken) is { } claimed
            ? (claimed.Claim, From(claimed.Snapshot))
            : null;

    private static RunSnapshot? From(RunSnapshotRows? rows) => rows is null
        ? null
        : new RunSnapshot(rows.Id, rows.OrganizationId, rows.Status, rows.ApprovalStatus, rows.FlowName,
            new FlowRequestInfo(rows.RequestInstructions, rows.RequestName, rows.RequestMetadata),
            rows.Tasks, rows.Definitions,
            [.. rows.Dependencies.Select(d => new DependencyInfo(d.Source, d.Target, d.Instruction))],
            rows.RetryDelays, rows.StartTraceParent);
}
