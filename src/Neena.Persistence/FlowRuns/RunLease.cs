using System.Text.Json.Nodes;
using Neena.Domain.Common;
using Neena.Domain.FlowRuns;
using Npgsql;
using NpgsqlTypes;
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
public sealed class RunLease(NpgsqlDataSource dataSource, string owner, TimeSpan lease)
{
    private static readonly string InProgress = Literal(RunStatus.InProgress);
    private static readonly string Pending = Literal(RunStatus.Pending);

    // Approved and in progress: the only state in which an engine works on a run.
    private static readonly string Runnable = $"status = {InProgress} AND approval_status = {Literal(ApprovalStatus.Approved)}";

    // A run an instance may claim: runnable, nobody holds a live lease on it, and no retry it waits for is still ahead.
    private static readonly string Claimable =
        $"{Runnable} AND (lease_expires_at IS NULL OR lease_expires_at < now()) AND (next_attempt_at IS NULL OR next_attempt_at <= now())";

    // The run row is locked FOR SHARE so that the fence check and the write are atomic with respect to claims,
    // renewals by others, and the API's cancellation, which all update that row.
    private static readonly string Fence =
        $"EXISTS (SELECT 1 FROM flow_runs r WHERE r.id = @run AND r.lease_owner = @owner AND r.status = {InProgress} FOR SHARE)";

    private volatile bool _halted;

    public string Owner => owner;

    /// <summary>After this, every call throws <see cref="OperationCanceledException"/>: the instance behaves as if it had died.</summary>
    public void Halt() => _halted = true;

    /// <summary>
    /// Claims up to <paramref name="max"/> runnable runs whose lease is free or expired, oldest first, skipping runs whose
    /// only ready work waits for a retry (<c>next_attempt_at</c> in the future), and counts the claim on each run. Also says
    /// how soon the nearest waiting run comes due, so the engine can wake up for it instead of polling.
    /// </summary>
    public async Task<ClaimResult> ClaimAsync(int max, IReadOnlyCollection<Guid> exclude, CancellationToken cancellationToken)
    {
        // SKIP LOCKED: instances claiming at the same moment take different runs instead of queueing on each other.
        // The exclusion keeps this instance from re-claiming a run it still works on whose lease lapsed (e.g. a slow renewal).
        // MATERIALIZED: the pick runs once. As a subquery of `id IN (…)` the planner may run it again for each row
        // (a nested loop), and each run skips the rows the update already changed and picks others: a claim of at most
        // @max runs then took more (found by ClaimTests), and an instance worked on more runs than it has room for.
        var sql = $"""
            WITH picked AS MATERIALIZED (
                SELECT id FROM flow_runs
                WHERE {Claimable}
                  AND NOT (id = ANY(@exclude))
                ORDER BY start_time NULLS FIRST, id
                LIMIT @max
                FOR UPDATE SKIP LOCKED)
            UPDATE flow_runs f SET lease_owner = @owner, lease_expires_at = now() + @lease, next_attempt_at = NULL,
                   claim_attempts = f.claim_attempts + 1
            FROM picked
            WHERE f.id = picked.id AND f.status = {InProgress}
            RETURNING f.id, f.claim_attempts;
            SELECT min(next_attempt_at) - now() FROM flow_runs
            WHERE status = {InProgress} AND next_attempt_at > now() AND lease_owner IS NULL;
            """;
        await using var command = Command(sql, cancellationToken);
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

    /// <summary>
    /// The claim of one given run (the one an approval notification named), as a batch command, so that the caller can
    /// read the run in the same round trip: the statements after it in the batch see the claim. Same conditions as
    /// <see cref="ClaimAsync"/>; a run that is not claimable (taken by another instance, cancelled, finished, waiting for
    /// a retry, or not there) yields no row and is left alone. Its result: <see cref="ReadClaimAsync"/>.
    /// </summary>
    public NpgsqlBatchCommand ClaimOneCommand(Guid runId)
    {
        ThrowIfHalted();
        var command = new NpgsqlBatchCommand($"""
            UPDATE flow_runs SET lease_owner = @owner, lease_expires_at = now() + @lease, next_attempt_at = NULL,
                   claim_attempts = claim_attempts + 1
            WHERE id = (SELECT id FROM flow_runs WHERE id = @run AND {Claimable} FOR UPDATE SKIP LOCKED)
              AND status = {InProgress}
            RETURNING id, claim_attempts
            """);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("run", runId);
        return command;
    }

    /// <summary>Reads the result of <see cref="ClaimOneCommand"/>: the claimed run, or null when it was not claimable.</summary>
    public static async Task<ClaimedRun?> ReadClaimAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return await reader.ReadAsync(cancellationToken) ? new ClaimedRun(reader.GetGuid(0), reader.GetInt32(1)) : null;
    }

    /// <summary>Extends the leases of <paramref name="runIds"/>; returns those still owned and in progress.</summary>
    public async Task<HashSet<Guid>> RenewAsync(IReadOnlyCollection<Guid> runIds, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE flow_runs SET lease_expires_at = now() + @lease
            WHERE id = ANY(@ids) AND lease_owner = @owner AND status = {InProgress}
            RETURNING id
            """;
        await using var command = Command(sql, cancellationToken);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("ids", runIds.ToArray());
        var renewed = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            renewed.Add(reader.GetGuid(0));
        return renewed;
    }

    /// <summary>Gives a run back in good order (shutdown, lease at risk) so that any instance may continue it at once.</summary>
    public async Task ReleaseAsync(Guid runId, CancellationToken cancellationToken)
    {
        // A hand-back in good order: the claim does not count against Engine:MaxRunAttempts.
        const string sql = """
            UPDATE flow_runs SET lease_owner = NULL, lease_expires_at = NULL, claim_attempts = greatest(claim_attempts - 1, 0)
            WHERE id = @run AND lease_owner = @owner
            """;
        await using var command = Command(sql, cancellationToken);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("owner", owner);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Gives the run back while its only ready work waits for a retry: no lease, and the run's <c>next_attempt_at</c> is
    /// the earliest of its waiting tasks', so no instance claims it before then. False when the fence refused.
    /// </summary>
    public async Task<bool> ParkAsync(Guid runId, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE flow_runs r SET lease_owner = NULL, lease_expires_at = NULL, modified_date = now(),
                   claim_attempts = greatest(r.claim_attempts - 1, 0),
                   next_attempt_at = (SELECT min(t.next_attempt_at) FROM task_runs t WHERE t.flow_run_id = r.id AND t.status = {Pending})
            WHERE r.id = @run AND r.lease_owner = @owner AND r.status = {InProgress}
            """;
        await using var command = Command(sql, cancellationToken);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("owner", owner);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Starts an attempt of an open task: <c>in_progress</c>, <c>attempt + 1</c>; <c>start_time</c> is the first
    /// attempt's (a hand-back clears it).
    /// </summary>
    public Task<(int Attempt, DateTime StartTime)> StartTaskAsync(Guid runId, Guid taskRunId, CancellationToken cancellationToken) =>
        StartAsync(runId, taskRunId, preparation: null, cancellationToken);

    /// <summary>
    /// As <see cref="StartTaskAsync"/>, recording in the same statement what preparation (done before the start, when it
    /// is local and quick) asked and answered, as <see cref="SavePreparationAsync"/> does: one round trip instead of two.
    /// </summary>
    public Task<(int Attempt, DateTime StartTime)> StartPreparedTaskAsync(
        Guid runId, Guid taskRunId, JsonObject? prompt, JsonObject answer, long promptTokens, long completionTokens, CancellationToken cancellationToken) =>
        StartAsync(runId, taskRunId, (prompt, answer, promptTokens, completionTokens), cancellationToken);

    private async Task<(int Attempt, DateTime StartTime)> StartAsync(
        Guid runId, Guid taskRunId, (JsonObject? Prompt, JsonObject Answer, long PromptTokens, long CompletionTokens)? preparation, CancellationToken cancellationToken)
    {
        var prepared = preparation is null
            ? ""
            : """
              task_prep_prompt = @prompt, task_prep_answer = @answer,
                     prompt_tokens = t.prompt_tokens + @prompt_tokens, completion_tokens = t.completion_tokens + @completion_tokens,
              """;
        var sql = $"""
            UPDATE task_runs t SET status = {InProgress}, start_time = coalesce(t.start_time, now()), end_time = NULL, error = NULL,
                   {prepared} next_attempt_at = NULL, attempt = t.attempt + 1, modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND t.{Open} AND {Fence}
            RETURNING t.attempt, t.start_time
            """;
        await using var command = TaskCommand(sql, runId, taskRunId, cancellationToken);
        if (preparation is { } p)
        {
            command.Parameters.Add(Jsonb("prompt", p.Prompt));
            command.Parameters.Add(Jsonb("answer", p.Answer));
            command.Parameters.AddWithValue("prompt_tokens", p.PromptTokens);
            command.Parameters.AddWithValue("completion_tokens", p.CompletionTokens);
        }
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            throw new LeaseLostException();
        return (reader.GetInt32(0), reader.GetDateTime(1));
    }

    /// <summary>
    /// Records a transient failure and when the next attempt is due: the task goes back to <c>pending</c> with
    /// <c>next_attempt_at</c>, so that waiting holds no execution slot and survives the instance.
    /// </summary>
    public async Task ScheduleRetryAsync(Guid runId, Guid taskRunId, string error, TimeSpan delay, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE task_runs t SET status = {Pending}, error = @error, next_attempt_at = now() + @delay, modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND t.status = {InProgress} AND {Fence}
            """;
        await using var command = TaskCommand(sql, runId, taskRunId, cancellationToken);
        command.Parameters.AddWithValue("error", error);
        command.Parameters.AddWithValue("delay", delay);
        Fenced(await command.ExecuteNonQueryAsync(cancellationToken));
    }

    /// <summary>
    /// Records what preparation asked and answered. Tokens add up over the task's attempts: each attempt that asked the
    /// model cost them, whichever attempt's prompt is kept.
    /// </summary>
    /// <param name="model">The model that answered, when one was asked (kept from an earlier attempt otherwise).</param>
    public async Task SavePreparationAsync(Guid runId, Guid taskRunId, JsonObject? prompt, JsonObject answer, long promptTokens, long completionTokens, string? model, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE task_runs t SET task_prep_prompt = @prompt, task_prep_answer = @answer,
                   prompt_tokens = t.prompt_tokens + @prompt_tokens, completion_tokens = t.completion_tokens + @completion_tokens,
                   model = coalesce(@model, t.model), modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND t.status = {InProgress} AND {Fence}
            """;
        await using var command = TaskCommand(sql, runId, taskRunId, cancellationToken);
        command.Parameters.Add(Jsonb("prompt", prompt));
        command.Parameters.Add(Jsonb("answer", answer));
        command.Parameters.Add(new NpgsqlParameter("model", NpgsqlTypes.NpgsqlDbType.Varchar) { Value = (object?)Truncate(model, 200) ?? DBNull.Value });
        command.Parameters.AddWithValue("prompt_tokens", promptTokens);
        command.Parameters.AddWithValue("completion_tokens", completionTokens);
        Fenced(await command.ExecuteNonQueryAsync(cancellationToken));
    }

    public async Task CompleteTaskAsync(Guid runId, Guid taskRunId, JsonNode? result, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE task_runs t SET status = {Literal(RunStatus.Completed)}, result = @result, error = NULL, next_attempt_at = NULL,
                   end_time = now(), modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND t.status = {InProgress} AND {Fence}
            """;
        await using var command = TaskCommand(sql, runId, taskRunId, cancellationToken);
        command.Parameters.Add(Jsonb("result", result));
        Fenced(await command.ExecuteNonQueryAsync(cancellationToken));
    }

    public async Task FailTaskAsync(Guid runId, Guid taskRunId, string error, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE task_runs t SET status = {Literal(RunStatus.Failed)}, error = @error, next_attempt_at = NULL, end_time = now(), modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND t.{Open} AND {Fence}
            """;
        await using var command = TaskCommand(sql, runId, taskRunId, cancellationToken);
        command.Parameters.AddWithValue("error", error);
        Fenced(await command.ExecuteNonQueryAsync(cancellationToken));
    }

    /// <summary>
    /// Hands an interrupted attempt back (shutdown, lease at risk): <c>pending</c> again, as if it had not started, so
    /// whoever continues the run starts it afresh and the interruption uses up none of the task's attempts.
    /// </summary>
    public async Task<bool> ReturnTaskToPendingAsync(Guid runId, Guid taskRunId, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE task_runs t SET status = {Pending}, start_time = NULL, next_attempt_at = NULL, attempt = greatest(t.attempt - 1, 0),
                   modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND t.status = {InProgress} AND {Fence}
            """;
        await using var command = TaskCommand(sql, runId, taskRunId, cancellationToken);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Ends the run <paramref name="outcome"/> (<c>completed</c> or <c>failed</c>) in one transaction, as
    /// <see cref="RunLifecycle"/> ends every run, fenced on this instance's lease (the run row stays locked until commit).
    /// False when the fence refused (lease lost, or the run was cancelled meanwhile); nothing is written then.
    /// </summary>
    public async Task<bool> FinishRunAsync(Guid runId, string outcome, string? message, CancellationToken cancellationToken)
    {
        ThrowIfHalted();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var ending = new RunEnding(OrganizationId: null, FenceOwner: owner, At: null, Email: null, message);
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
            WHERE {Runnable} AND (lease_expires_at IS NULL OR lease_expires_at < now())
              AND (next_attempt_at IS NULL OR next_attempt_at <= now())
            """;
        await using var command = dataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static void Fenced(int rows)
    {
        if (rows != 1)
            throw new LeaseLostException();
    }

    private NpgsqlCommand TaskCommand(string sql, Guid runId, Guid taskRunId, CancellationToken cancellationToken)
    {
        var command = Command(sql, cancellationToken);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("task", taskRunId);
        command.Parameters.AddWithValue("owner", owner);
        return command;
    }

    private NpgsqlCommand Command(string sql, CancellationToken cancellationToken)
    {
        ThrowIfHalted();
        cancellationToken.ThrowIfCancellationRequested();
        // A data source command opens a pooled connection for its execution and returns it when disposed.
        return dataSource.CreateCommand(sql);
    }

    private void ThrowIfHalted()
    {
        if (_halted)
            throw new OperationCanceledException("The engine instance was halted.");
    }

    private static NpgsqlParameter Jsonb(string name, JsonNode? value) => new(name, NpgsqlDbType.Jsonb)
    {
        Value = value is null ? DBNull.Value : value.ToJsonString(JsonDepth.SerializerOptions),
    };

    private static string? Truncate(string? value, int length) => value is null || value.Length <= length ? value : value[..length];
}
