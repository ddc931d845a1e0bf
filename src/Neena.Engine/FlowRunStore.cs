using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace Neena.Engine;

/// <summary>
/// The engine's SQL against <c>flow_runs</c>, <c>task_runs</c> and <c>flow_results</c>, for one engine instance.
/// Every write is fenced on the run's lease: it only happens while this instance owns the run and the run is still
/// <c>in_progress</c>. The fence locks the run row (<c>FOR SHARE</c>), so a write either commits before another
/// instance's claim or cancellation of that run, or sees it and does nothing; a zombie instance can never overwrite.
/// Times come from the database clock so that instances with skewed clocks agree on leases.
/// </summary>
/// <summary>The runs a claim took, and how soon the nearest run waiting for a retry comes due (null: none waits).</summary>
internal sealed record ClaimResult(List<ClaimedRun> Claimed, TimeSpan? NextDue);

/// <summary>A claimed run and how many claims of it, this one included, have not ended in good order.</summary>
internal sealed record ClaimedRun(Guid Id, int ClaimAttempts);

internal sealed class FlowRunStore(NpgsqlDataSource dataSource, string owner, TimeSpan lease)
{
    // The run row is locked FOR SHARE so that the fence check and the write are atomic with respect to claims,
    // renewals by others, and the API's cancellation, which all update that row.
    private const string Fence =
        "EXISTS (SELECT 1 FROM flow_runs r WHERE r.id = @run AND r.lease_owner = @owner AND r.status = 'in_progress' FOR SHARE)";

    private volatile bool _halted;

    public string Owner => owner;

    /// <summary>After this, every call throws <see cref="OperationCanceledException"/>: the instance behaves as if it had died.</summary>
    public void Halt() => _halted = true;

    /// <summary>
    /// Claims up to <paramref name="max"/> runnable runs whose lease is free or expired, oldest first, skipping runs whose
    /// only ready work waits for a retry (<c>next_attempt_at</c> in the future). Also says how soon the nearest of those
    /// comes due, so the engine can wake up for it instead of polling.
    /// </summary>
    public async Task<ClaimResult> ClaimAsync(int max, IReadOnlyCollection<Guid> exclude, CancellationToken cancellationToken)
    {
        // SKIP LOCKED: instances claiming at the same moment take different runs instead of queueing on each other.
        // The exclusion keeps this instance from re-claiming a run it still works on whose lease lapsed (e.g. a slow renewal).
        const string sql = """
            UPDATE flow_runs SET lease_owner = @owner, lease_expires_at = now() + @lease, next_attempt_at = NULL,
                   claim_attempts = claim_attempts + 1
            WHERE id IN (
                SELECT id FROM flow_runs
                WHERE status = 'in_progress' AND approval_status = 'approved'
                  AND (lease_expires_at IS NULL OR lease_expires_at < now())
                  AND (next_attempt_at IS NULL OR next_attempt_at <= now())
                  AND NOT (id = ANY(@exclude))
                ORDER BY start_time NULLS FIRST, id
                LIMIT @max
                FOR UPDATE SKIP LOCKED)
              AND status = 'in_progress'
            RETURNING id, claim_attempts;
            SELECT min(next_attempt_at) - now() FROM flow_runs
            WHERE status = 'in_progress' AND next_attempt_at > now() AND lease_owner IS NULL;
            """;
        await using var command = await CommandAsync(sql, cancellationToken);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("exclude", exclude.ToArray());
        command.Parameters.AddWithValue("max", max);
        var claimed = new List<ClaimedRun>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            claimed.Add(new ClaimedRun(reader.GetGuid(0), reader.GetInt32(1)));
        await reader.NextResultAsync(cancellationToken);
        TimeSpan? nextDue = null;
        if (await reader.ReadAsync(cancellationToken) && !await reader.IsDBNullAsync(0, cancellationToken))
            nextDue = reader.GetTimeSpan(0);
        return new ClaimResult(claimed, nextDue);
    }

    /// <summary>Extends the leases of <paramref name="runIds"/>; returns those still owned and in progress.</summary>
    public async Task<HashSet<Guid>> RenewAsync(IReadOnlyCollection<Guid> runIds, CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE flow_runs SET lease_expires_at = now() + @lease
            WHERE id = ANY(@ids) AND lease_owner = @owner AND status = 'in_progress'
            RETURNING id
            """;
        await using var command = await CommandAsync(sql, cancellationToken);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("ids", runIds.ToArray());
        return [.. await ReadIdsAsync(command, cancellationToken)];
    }

    /// <summary>Gives a run back (shutdown) so that any instance may continue it at once.</summary>
    public async Task ReleaseAsync(Guid runId, CancellationToken cancellationToken)
    {
        // A hand-back in good order: the claim does not count against Engine:MaxRunAttempts.
        const string sql = """
            UPDATE flow_runs SET lease_owner = NULL, lease_expires_at = NULL, claim_attempts = greatest(claim_attempts - 1, 0)
            WHERE id = @run AND lease_owner = @owner
            """;
        await using var command = await CommandAsync(sql, cancellationToken);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("owner", owner);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Starts an attempt: <c>in_progress</c>, <c>attempt + 1</c>; <c>start_time</c> is the first attempt's (a hand-back
    /// clears it). Null when the fence refused.
    /// </summary>
    public async Task<(int Attempt, DateTime StartTime)?> StartTaskAsync(Guid runId, Guid taskRunId, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE task_runs t SET status = 'in_progress', start_time = coalesce(t.start_time, now()), end_time = NULL, error = NULL,
                   next_attempt_at = NULL, attempt = t.attempt + 1, modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND t.status IN ('pending', 'in_progress') AND {Fence}
            RETURNING t.attempt, t.start_time
            """;
        await using var command = await TaskCommandAsync(sql, runId, taskRunId, cancellationToken);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        return (reader.GetInt32(0), reader.GetDateTime(1));
    }

    /// <summary>
    /// Records a transient failure and when the next attempt is due: the task goes back to <c>pending</c> with
    /// <c>next_attempt_at</c>, so that waiting holds no execution slot and survives the instance.
    /// </summary>
    public async Task<bool> ScheduleRetryAsync(Guid runId, Guid taskRunId, string error, TimeSpan delay, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE task_runs t SET status = 'pending', error = @error, next_attempt_at = now() + @delay, modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND t.status = 'in_progress' AND {Fence}
            """;
        await using var command = await TaskCommandAsync(sql, runId, taskRunId, cancellationToken);
        command.Parameters.AddWithValue("error", error);
        command.Parameters.AddWithValue("delay", delay);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Gives the run back while its only ready work waits for a retry: no lease, and the run's <c>next_attempt_at</c> is
    /// the earliest of its waiting tasks', so no instance claims it before then. False when the fence refused.
    /// </summary>
    public async Task<bool> ParkAsync(Guid runId, CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE flow_runs r SET lease_owner = NULL, lease_expires_at = NULL, modified_date = now(),
                   claim_attempts = greatest(r.claim_attempts - 1, 0),
                   next_attempt_at = (SELECT min(t.next_attempt_at) FROM task_runs t WHERE t.flow_run_id = r.id AND t.status = 'pending')
            WHERE r.id = @run AND r.lease_owner = @owner AND r.status = 'in_progress'
            """;
        await using var command = await CommandAsync(sql, cancellationToken);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("owner", owner);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>How long until each of the run's waiting tasks is due, by the database's clock (zero when already due).</summary>
    public async Task<Dictionary<Guid, TimeSpan>> RetryDelaysAsync(Guid runId, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT id, greatest(next_attempt_at - now(), interval '0') FROM task_runs
            WHERE flow_run_id = @run AND status = 'pending' AND next_attempt_at IS NOT NULL
            """;
        await using var command = await CommandAsync(sql, cancellationToken);
        command.Parameters.AddWithValue("run", runId);
        var delays = new Dictionary<Guid, TimeSpan>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            delays[reader.GetGuid(0)] = reader.GetTimeSpan(1);
        return delays;
    }

    public async Task<bool> SavePreparationAsync(Guid runId, Guid taskRunId, JsonObject prompt, JsonObject answer, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE task_runs t SET task_prep_prompt = @prompt, task_prep_answer = @answer, modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND t.status = 'in_progress' AND {Fence}
            """;
        await using var command = await TaskCommandAsync(sql, runId, taskRunId, cancellationToken);
        command.Parameters.Add(Jsonb("prompt", prompt));
        command.Parameters.Add(Jsonb("answer", answer));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<DateTime?> CompleteTaskAsync(Guid runId, Guid taskRunId, JsonNode? result, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE task_runs t SET status = 'completed', result = @result, error = NULL, next_attempt_at = NULL,
                   end_time = now(), modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND t.status = 'in_progress' AND {Fence}
            RETURNING t.end_time
            """;
        await using var command = await TaskCommandAsync(sql, runId, taskRunId, cancellationToken);
        command.Parameters.Add(Jsonb("result", result));
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime end ? end : null;
    }

    public async Task<DateTime?> FailTaskAsync(Guid runId, Guid taskRunId, string error, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE task_runs t SET status = 'failed', error = @error, next_attempt_at = NULL, end_time = now(), modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND t.status IN ('pending', 'in_progress') AND {Fence}
            RETURNING t.end_time
            """;
        await using var command = await TaskCommandAsync(sql, runId, taskRunId, cancellationToken);
        command.Parameters.AddWithValue("error", error);
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime end ? end : null;
    }

    /// <summary>
    /// Hands an interrupted attempt back (shutdown, lease at risk): <c>pending</c> again, as if it had not started, so
    /// whoever continues the run starts it afresh and the interruption uses up none of the task's attempts.
    /// </summary>
    public async Task<bool> ReturnTaskToPendingAsync(Guid runId, Guid taskRunId, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE task_runs t SET status = 'pending', start_time = NULL, next_attempt_at = NULL, attempt = greatest(t.attempt - 1, 0),
                   modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND t.status = 'in_progress' AND {Fence}
            """;
        await using var command = await TaskCommandAsync(sql, runId, taskRunId, cancellationToken);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Ends the run in one transaction: the run's final status (fenced; it holds the run row until commit), tasks that can
    /// no longer run <c>cancelled</c>, the lease released and exactly one flow result. False when the fence refused
    /// (lease lost, or the run was cancelled meanwhile); nothing is written then.
    /// </summary>
    public async Task<bool> FinishRunAsync(Guid runId, string status, string body, CancellationToken cancellationToken)
    {
        ThrowIfHalted();
        Guid organizationId;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await using (var run = new NpgsqlCommand(
            """
            UPDATE flow_runs SET status = @status, end_time = now(), lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = NULL,
                   modified_date = now()
            WHERE id = @run AND lease_owner = @owner AND status = 'in_progress'
            RETURNING organization_id
            """, connection, transaction))
        {
            run.Parameters.AddWithValue("status", status);
            run.Parameters.AddWithValue("run", runId);
            run.Parameters.AddWithValue("owner", owner);
            if (await run.ExecuteScalarAsync(cancellationToken) is not Guid found)
            {
                await transaction.RollbackAsync(cancellationToken);
                return false;
            }
            organizationId = found;
        }

        await using (var tasks = new NpgsqlCommand(
            """
            UPDATE task_runs SET status = 'cancelled', end_time = now(), next_attempt_at = NULL, modified_date = now()
            WHERE flow_run_id = @run AND status IN ('pending', 'in_progress')
            """, connection, transaction))
        {
            tasks.Parameters.AddWithValue("run", runId);
            await tasks.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var result = new NpgsqlCommand(
            """
            INSERT INTO flow_results (id, organization_id, flow_run_id, body, created_date, modified_date)
            VALUES (@id, @organization, @run, @body, now(), now())
            ON CONFLICT (flow_run_id) DO NOTHING
            """, connection, transaction))
        {
            result.Parameters.AddWithValue("id", Guid.CreateVersion7());
            result.Parameters.AddWithValue("organization", organizationId);
            result.Parameters.AddWithValue("run", runId);
            result.Parameters.AddWithValue("body", body);
            await result.ExecuteNonQueryAsync(cancellationToken);
        }

        ThrowIfHalted();
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Approved runs in progress that nobody holds a live lease on and that have work due: work waiting for an engine.</summary>
    public static async Task<long> QueueDepthAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT count(*) FROM flow_runs
            WHERE status = 'in_progress' AND approval_status = 'approved' AND (lease_expires_at IS NULL OR lease_expires_at < now())
              AND (next_attempt_at IS NULL OR next_attempt_at <= now())
            """;
        await using var command = dataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task<NpgsqlCommand> TaskCommandAsync(string sql, Guid runId, Guid taskRunId, CancellationToken cancellationToken)
    {
        var command = await CommandAsync(sql, cancellationToken);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("task", taskRunId);
        command.Parameters.AddWithValue("owner", owner);
        return command;
    }

    private Task<NpgsqlCommand> CommandAsync(string sql, CancellationToken cancellationToken)
    {
        ThrowIfHalted();
        cancellationToken.ThrowIfCancellationRequested();
        // A data source command opens a pooled connection for its execution and returns it when disposed.
        return Task.FromResult(dataSource.CreateCommand(sql));
    }

    private void ThrowIfHalted()
    {
        if (_halted)
            throw new OperationCanceledException("The engine instance was halted.");
    }

    private static async Task<List<Guid>> ReadIdsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            ids.Add(reader.GetGuid(0));
        return ids;
    }

    private static NpgsqlParameter Jsonb(string name, JsonNode? value) => new(name, NpgsqlDbType.Jsonb)
    {
        Value = value is null ? DBNull.Value : value.ToJsonString((JsonSerializerOptions?)null),
    };
}
