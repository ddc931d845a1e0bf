using Neena.Domain.FlowRuns;
using Neena.Domain.Notifications;
using Neena.Persistence.Notifications;
using Npgsql;
using NpgsqlTypes;

namespace Neena.Persistence.FlowRuns;

/// <summary>
/// The engine's writes of approval steps (issue 20): a step starts <c>waiting</c>, its timeout fails it, and a run whose
/// only open work is waiting (for an answer or a retry) is handed back with no lease until the nearest of them is due.
/// </summary>
public sealed partial class RunLease
{
    // A parked run waiting only for answers without a timeout: claimable again when an answer clears it. Finite (not
    // 'infinity'), so the engines' "how soon is the next run due" arithmetic stays an interval.
    private const string NoDueTime = "timestamptz '9999-12-31 00:00:00+00'";

    /// <summary>
    /// Starts an approval step: <c>waiting</c> with <c>start_time</c>, one attempt more, and <c>next_attempt_at</c> when
    /// it times out (none without a timeout). Fenced; returns the start time.
    /// </summary>
    public async Task<DateTime> WaitForAnswerAsync(Guid runId, Guid taskRunId, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        // One statement with its task.awaiting_approval outbox rows, so both happen or neither (still fenced).
        var sql = $"""
            WITH waited AS (
                UPDATE task_runs t SET status = {To(TaskRunStateMachine.Wait)}, start_time = coalesce(t.start_time, now()), end_time = NULL, error = NULL,
                       result = NULL, next_attempt_at = now() + @timeout, attempt = t.attempt + 1, modified_date = now()
                WHERE t.id = @task AND t.flow_run_id = @run AND {From(TaskRunStateMachine.Wait)} AND {Fence}
                RETURNING t.start_time, t.organization_id, t.flow_run_id AS subject_id),
            {NotificationOutboxSql.QueuedCte("waited", NotificationEventType.TaskAwaitingApproval)}
            SELECT start_time, {NotificationOutboxSql.NotifyIfQueued} FROM waited
            """;
        await using var command = TaskCommand(sql, runId, taskRunId, cancellationToken);
        command.Parameters.Add(new NpgsqlParameter("timeout", NpgsqlDbType.Interval) { Value = (object?)timeout ?? DBNull.Value });
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime start ? start : throw new LeaseLostException();
    }

    /// <summary>
    /// Fails the run's approval steps whose timeout has passed (by the database's clock) with "Approval timed out"; the
    /// same conditional write as an answer's, so an answer and a timeout cannot both win. Returns the ids it failed.
    /// </summary>
    public async Task<List<Guid>> ExpireAnswersAsync(Guid runId, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE task_runs t SET status = {To(TaskRunStateMachine.Reject)}, error = @error, next_attempt_at = NULL, end_time = now(), modified_date = now()
            WHERE t.flow_run_id = @run AND {From(TaskRunStateMachine.Reject)} AND t.next_attempt_at <= now() AND {Fence}
            RETURNING t.id
            """;
        await using var command = Command(sql, cancellationToken);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("owner", _queue.Owner);
        command.Parameters.AddWithValue("error", ApprovalSteps.TimedOut);
        var expired = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            expired.Add(reader.GetGuid(0));
        return expired;
    }

    /// <summary>
    /// Hands the run back while its open work waits for answers (and maybe retries): no lease, and <c>next_attempt_at</c>
    /// the nearest timeout or retry (far away when only answers without a timeout remain). The run row is locked before
    /// the due time is read, so an answer committed meanwhile is seen: it either commits first (and the due time is read
    /// after it) or waits for this hand-back and clears the due time itself. When nothing waits any more (an answer came
    /// while the run was held), the run is due at once and the engines are told. False when the fence refused.
    /// </summary>
    public async Task<bool> ParkForAnswersAsync(Guid runId, CancellationToken cancellationToken)
    {
        ThrowIfHalted();
        await using var connection = await _queue.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockRun = new NpgsqlCommand($"SELECT 1 FROM flow_runs WHERE id = @id AND {_queue.Held()} FOR UPDATE", connection, transaction))
        {
            lockRun.Parameters.AddWithValue("id", runId);
            lockRun.Parameters.AddWithValue("owner", _queue.Owner);
            if (await lockRun.ExecuteScalarAsync(cancellationToken) is null)
            {
                await transaction.RollbackAsync(cancellationToken);
                return false;
            }
        }
        var waiting = $"({RunConditionSql.For(TaskRunConditions.WaitingForRetry)} OR {RunConditionSql.For(TaskRunConditions.AwaitingAnswer)})";
        await using var park = new NpgsqlCommand($"""
            UPDATE flow_runs SET {_queue.HandBack}, modified_date = now(),
                   next_attempt_at = (SELECT CASE WHEN count(*) = 0 THEN NULL ELSE coalesce(min(t.next_attempt_at), {NoDueTime}) END
                                      FROM task_runs t WHERE t.flow_run_id = flow_runs.id AND {waiting})
            WHERE id = @id
            RETURNING next_attempt_at IS NULL
            """, connection, transaction);
        park.Parameters.AddWithValue("id", runId);
        if (await park.ExecuteScalarAsync(cancellationToken) is true)
        {
            await using var notify = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", connection, transaction);
            notify.Parameters.AddWithValue("channel", FlowRunNotifications.Approved);
            notify.Parameters.AddWithValue("payload", runId.ToString());
            await notify.ExecuteNonQueryAsync(cancellationToken);
        }
        ThrowIfHalted();
        await transaction.CommitAsync(cancellationToken);
        return true;
    }
}
