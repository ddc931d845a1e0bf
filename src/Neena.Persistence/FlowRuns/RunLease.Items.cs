using System.Text.Json.Nodes;
using Neena.Domain.Common;
using Neena.Domain.FlowRuns;
using Npgsql;
using static Neena.Persistence.FlowRuns.RunLifecycle;

namespace Neena.Persistence.FlowRuns;

/// <summary>
/// The engine's writes of a <c>for_each</c> task run's items (issue 20), fenced like the task runs' on the run's lease and
/// on the task run being <c>in_progress</c>: a write that finds either lost throws <see cref="LeaseLostException"/>. An
/// item is recorded <c>in_progress</c> before its call and <c>completed</c> with its result after it, so a completed item
/// is never called again.
/// </summary>
public sealed partial class RunLease
{
    private static readonly string ItemPending = Literal(RunStatus.Pending);
    private static readonly string ItemInProgress = Literal(RunStatus.InProgress);
    private static readonly string ItemFailed = Literal(RunStatus.Failed);

    // The item's task run is running and ours (alias i for the item).
    private string ItemFence => $"""
        EXISTS (SELECT 1 FROM task_runs t WHERE t.id = i.task_run_id AND t.flow_run_id = @run AND t.status = {ItemInProgress} AND {Fence})
        """;

    /// <summary>
    /// Creates the task run's <paramref name="count"/> item rows (<c>pending</c>) unless they exist (a resumed task keeps
    /// its items), and reads every item's state back, by index.
    /// </summary>
    public async Task<List<ForEachItemState>> OpenItemsAsync(Guid runId, Guid taskRunId, int count, CancellationToken cancellationToken)
    {
        var sql = $"""
            WITH owned AS (
                SELECT t.organization_id FROM task_runs t
                WHERE t.id = @task AND t.flow_run_id = @run AND t.status = {ItemInProgress} AND {Fence}),
            created AS (
                INSERT INTO task_run_items (task_run_id, organization_id, item_index, status, attempt)
                SELECT @task, owned.organization_id, g, {ItemPending}, 0 FROM owned, generate_series(0, @count - 1) g
                ON CONFLICT (task_run_id, item_index) DO NOTHING)
            SELECT count(*) FROM owned;
            SELECT item_index, status, result::text, attempt FROM task_run_items
            WHERE task_run_id = @task AND item_index < @count ORDER BY item_index;
            """;
        await using var command = TaskCommand(sql, runId, taskRunId, cancellationToken);
        command.Parameters.AddWithValue("count", count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.GetInt64(0) != 1)
            throw new LeaseLostException();
        // The second statement runs in the same snapshot as the first, which does not see its own inserts: read the rows
        // that existed, and count the new ones as pending.
        await reader.NextResultAsync(cancellationToken);
        var states = new Dictionary<int, ForEachItemState>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var index = reader.GetInt32(0);
            states[index] = new ForEachItemState(index, reader.GetString(1),
                await reader.IsDBNullAsync(2, cancellationToken) ? null : JsonDepth.ParseStored(reader.GetString(2), out _), reader.GetInt32(3));
        }
        return [.. Enumerable.Range(0, count).Select(i => states.TryGetValue(i, out var s) ? s : new ForEachItemState(i, RunStatus.Pending, null, 0))];
    }

    /// <summary>
    /// Starts an attempt of an item before its call: <c>in_progress</c>, <c>attempt + 1</c> (from 1 again for an item that
    /// failed before a retry of the run). Returns the attempt.
    /// </summary>
    public async Task<int> StartItemAsync(Guid runId, Guid taskRunId, int index, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE task_run_items i SET status = {ItemInProgress}, attempt = CASE WHEN i.status = {ItemFailed} THEN 1 ELSE i.attempt + 1 END,
                   start_time = coalesce(i.start_time, now()), end_time = NULL, error = NULL
            WHERE i.task_run_id = @task AND i.item_index = @index AND i.status IN ({ItemPending}, {ItemInProgress}, {ItemFailed}) AND {ItemFence}
            RETURNING i.attempt
            """;
        await using var command = ItemCommand(sql, runId, taskRunId, index, cancellationToken);
        return await command.ExecuteScalarAsync(cancellationToken) is int attempt ? attempt : throw new LeaseLostException();
    }

    public Task CompleteItemAsync(Guid runId, Guid taskRunId, int index, JsonNode? result, CancellationToken cancellationToken) =>
        EndItemAsync(runId, taskRunId, index, RunStatus.Completed, result, null, [RunStatus.InProgress], cancellationToken);

    public Task FailItemAsync(Guid runId, Guid taskRunId, int index, string error, CancellationToken cancellationToken) =>
        EndItemAsync(runId, taskRunId, index, RunStatus.Failed, null, error, [RunStatus.Pending, RunStatus.InProgress], cancellationToken);

    /// <summary>An item whose per-item conditions did not hold: <c>skipped</c>, never called.</summary>
    public Task SkipItemAsync(Guid runId, Guid taskRunId, int index, CancellationToken cancellationToken) =>
        EndItemAsync(runId, taskRunId, index, TaskRunStatus.Skipped, null, null, [RunStatus.Pending, RunStatus.InProgress, RunStatus.Failed], cancellationToken);

    /// <summary>A transient failure of an item: <c>pending</c> again with the error, until its next attempt.</summary>
    public Task RetryItemLaterAsync(Guid runId, Guid taskRunId, int index, string error, CancellationToken cancellationToken) =>
        EndItemAsync(runId, taskRunId, index, RunStatus.Pending, null, error, [RunStatus.InProgress], cancellationToken);

    private async Task EndItemAsync(
        Guid runId, Guid taskRunId, int index, string status, JsonNode? result, string? error, string[] from, CancellationToken cancellationToken)
    {
        var ended = status == RunStatus.Pending ? "NULL" : "now()";
        var sql = $"""
            UPDATE task_run_items i SET status = @status, result = @result, error = @error, end_time = {ended}
            WHERE i.task_run_id = @task AND i.item_index = @index AND i.status = ANY(@from) AND {ItemFence}
            """;
        await using var command = ItemCommand(sql, runId, taskRunId, index, cancellationToken);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.Add(Jsonb("result", result));
        command.Parameters.Add(new NpgsqlParameter("error", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)error ?? DBNull.Value });
        command.Parameters.AddWithValue("from", from);
        Fenced(await command.ExecuteNonQueryAsync(cancellationToken));
    }

    private NpgsqlCommand ItemCommand(string sql, Guid runId, Guid taskRunId, int index, CancellationToken cancellationToken)
    {
        var command = TaskCommand(sql, runId, taskRunId, cancellationToken);
        command.Parameters.AddWithValue("index", index);
        return command;
    }
}
