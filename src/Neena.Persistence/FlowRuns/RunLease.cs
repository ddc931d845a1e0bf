using Neena.Domain.FlowRuns;
using Neena.Persistence.Queues;
using Npgsql;
using static Neena.Persistence.FlowRuns.RunLifecycle;

namespace Neena.Persistence.FlowRuns;

/// <summary>The runs a claim took, and how soon the nearest run waiting for a retry comes due (null: none waits).</summary>
public sealed record ClaimResult(List<ClaimedRun> Claimed, TimeSpan? NextDue);

/// <summary>A claimed run and how many claims of it, this one included, have not ended in good order.</summary>
public sealed record ClaimedRun(Guid Id, int ClaimAttempts);

/// <summary>A fenced write was refused: the run was cancelled, finished, or another instance owns it now.</summary>
public sealed class LeaseLostException : Exception
{
    public LeaseLostException()
        : base("The run is no longer owned by this engine instance or no longer in progress.")
    {
    }

    public LeaseLostException(string message)
        : base(message)
    {
    }

    public LeaseLostException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The engine's side of the run lifecycle, for one engine instance (<paramref name="owner"/>): claiming runs under a
/// lease, and every write of their task runs and endings fenced on that lease. A fenced write only happens while this
/// instance owns the run and the run is still <c>in_progress</c>; the fence locks the run row (<c>FOR SHARE</c>), so a
/// write either commits before another instance's claim or the API's cancellation of that run, or sees it and does
/// nothing (and throws <see cref="LeaseLostException"/>): a zombie instance can never overwrite. Times come from the
/// database clock so that instances with skewed clocks agree on leases.
/// </summary>
public sealed partial class RunLease(NpgsqlDataSource dataSource, string owner, TimeSpan lease)
{
    private static readonly LeasedTable Table = new("flow_runs", "claim_attempts", RunStatus.InProgress, "next_attempt_at", "start_time NULLS FIRST, id");

    /// <summary>Approved and in progress: the only state in which an engine works on a run; the claim index's filter.</summary>
    internal static readonly string Runnable =
        $"{RunConditionSql.For(RunConditions.Claimable, alias: null)} AND approval_status = {Literal(ApprovalStatus.Approved)}";

    // No retry the run waits for is still ahead.
    private const string RetryDue = "(next_attempt_at IS NULL OR next_attempt_at <= now())";

    // A run an instance may claim, besides a free lease: runnable, and no retry it waits for is still ahead.
    private static readonly string Claimable = $"{Runnable} AND {RetryDue}";

    // Still claimable when the update reaches the row (a cancellation may have come between the pick and the update).
    private static readonly string StillClaimable = RunConditionSql.For(RunConditions.Claimable, alias: null);

    // The claim of one run by its id: the same conditions, the approval stated in a form the claim index's filter does not
    // follow from, so that the planner reaches the run through its key and not by reading every runnable run's entry
    // whenever the statistics are older than the runs in progress (issue 23).
    private static readonly string ClaimableById =
        $"{StillClaimable} AND approval_status IS NOT DISTINCT FROM {Literal(ApprovalStatus.Approved)} AND {RetryDue}";

    // The run's claim starts its work afresh: a retry it waited for is due now.
    private const string ClaimSet = "next_attempt_at = NULL";

    private readonly LeasedQueue _queue = new(dataSource, owner, lease, Table);

    // Task writes are fenced on the run row (@run), locked FOR SHARE.
    internal string Fence => _queue.Fence("@run");

    private volatile bool _halted;

    public string Owner => _queue.Owner;

    /// <summary>After this, every call throws <see cref="OperationCanceledException"/>: the instance behaves as if it had died.</summary>
    public void Halt() => _halted = true;

    /// <summary>
    /// Claims up to <paramref name="max"/> runnable runs whose lease is free or expired, oldest first, skipping runs whose
    /// only ready work waits for a retry (<c>next_attempt_at</c> in the future), and counts the claim on each run. Also says
    /// how soon the nearest waiting run comes due, so the engine can wake up for it instead of polling.
    /// </summary>
    public async Task<ClaimResult> ClaimAsync(int max, IReadOnlyCollection<Guid> exclude, CancellationToken cancellationToken)
    {
        ThrowIfHalted();
        cancellationToken.ThrowIfCancellationRequested();
        // The exclusion keeps this instance from re-claiming a run it still works on whose lease lapsed (e.g. a slow renewal).
        var (claimed, nextDue) = await _queue.ClaimAsync(
            _queue.Claim($"{Claimable} AND NOT (id = ANY(@exclude))", StillClaimable, ClaimSet),
            // Runnable, as the claim index's filter: the index answers it (StillClaimable alone no longer implies the filter).
            waiting: Runnable,
            max,
            parameters => parameters.AddWithValue("exclude", exclude.ToArray()),
            ReadClaim,
            cancellationToken);
        return new ClaimResult(claimed, nextDue);
    }

    /// <summary>
    /// The claim of one given run (the one an approval notification named), as a batch command, so that the caller can
    /// read the run in the same round trip: the statements after it in the batch see the claim. Same conditions as
    /// <see cref="ClaimAsync"/>; a run that is not claimable (taken by another instance, cancelled, finished, waiting for
    /// a retry, or not there) yields no row and is left alone. Its result: <see cref="ReadClaimAsync"/>.
    /// </summary>
    public NpgsqlBatchCommand ClaimOneCommand(Guid runId)
    {
        ThrowIfHalted();
        return _queue.ClaimOneCommand(runId, ClaimableById, StillClaimable, ClaimSet);
    }

    /// <summary>Reads the result of <see cref="ClaimOneCommand"/>: the claimed run, or null when it was not claimable.</summary>
    public static async Task<ClaimedRun?> ReadClaimAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return await reader.ReadAsync(cancellationToken) ? ReadClaim(reader) : null;
    }

    private static ClaimedRun ReadClaim(NpgsqlDataReader reader) =>
        new(reader.GetGuid(reader.GetOrdinal("id")), reader.GetInt32(reader.GetOrdinal("attempts")));

    /// <summary>Extends the leases of <paramref name="runIds"/>; returns those still owned and in progress.</summary>
    public Task<HashSet<Guid>> RenewAsync(IReadOnlyCollection<Guid> runIds, CancellationToken cancellationToken)
    {
        ThrowIfHalted();
        cancellationToken.ThrowIfCancellationRequested();
        return _queue.RenewAsync(runIds, cancellationToken);
    }

    /// <summary>Gives a run back in good order (shutdown, lease at risk) so that any instance may continue it at once.</summary>
    public async Task ReleaseAsync(Guid runId, CancellationToken cancellationToken)
    {
        // A hand-back in good order: the claim does not count against Engine:MaxRunAttempts.
        ThrowIfHalted();
        await _queue.UpdateHeldAsync(runId, _queue.HandBack, null, cancellationToken);
    }

    /// <summary>
    /// Gives the run back while its only ready work waits for a retry: no lease, and the run's <c>next_attempt_at</c> is
    /// the earliest of its waiting tasks', so no instance claims it before then. False when the fence refused.
    /// </summary>
    public Task<bool> ParkAsync(Guid runId, CancellationToken cancellationToken)
    {
        ThrowIfHalted();
        return _queue.UpdateHeldAsync(runId, $"""
            {_queue.HandBack}, modified_date = now(),
                   next_attempt_at = (SELECT min(t.next_attempt_at) FROM task_runs t
                                      WHERE t.flow_run_id = flow_runs.id AND {RunConditionSql.For(TaskRunConditions.WaitingForRetry)})
            """, null, cancellationToken);
    }

    /// <summary>
    /// Ends the run <paramref name="outcome"/> (<c>completed</c> or <c>failed</c>) in one transaction, as
    /// <see cref="RunLifecycle"/> ends every run, fenced on this instance's lease (the run row stays locked until commit).
    /// False when the fence refused (lease lost, or the run was cancelled meanwhile); nothing is written then.
    /// </summary>
    public async Task<bool> FinishRunAsync(Guid runId, string outcome, string? message, CancellationToken cancellationToken)
    {
        ThrowIfHalted();
        await using var connection = await _queue.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var ending = new RunEnding(OrganizationId: null, FenceOwner: _queue.Owner, At: null, Email: null, message);
        if (!await EndAsync(connection, RunStateMachine.Finish(outcome), runId, ending, cancellationToken))
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }
        ThrowIfHalted();
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Approved runs in progress that nobody holds a live lease on and that have work due: work waiting for an engine.</summary>
    public static async Task<long> QueueDepthAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var sql = $"""
            SELECT count(*) FROM flow_runs
            WHERE {Claimable} AND {LeasedQueue.LeaseFree}
            """;
        await using var command = dataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private NpgsqlCommand Command(string sql, CancellationToken cancellationToken)
    {
        ThrowIfHalted();
        cancellationToken.ThrowIfCancellationRequested();
        // A data source command opens a pooled connection for its execution and returns it when disposed.
        return _queue.DataSource.CreateCommand(sql);
    }

    private void ThrowIfHalted()
    {
        if (_halted)
            throw new OperationCanceledException("The engine instance was halted.");
    }
}
