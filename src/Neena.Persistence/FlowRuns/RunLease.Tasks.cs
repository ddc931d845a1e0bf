using System.Text.Json;
using System.Text.Json.Nodes;
using Neena.Domain.Common;
using Neena.Domain.FlowRuns;
using Neena.Persistence.Sql;
using Npgsql;
using NpgsqlTypes;
using static Neena.Persistence.FlowRuns.RunLifecycle;

namespace Neena.Persistence.FlowRuns;

/// <summary>
/// The engine's writes of task runs, each a transition of <see cref="TaskRunStateMachine"/> (its condition and new status
/// written from it) and fenced on the run's lease: a write that finds the lease lost throws <see cref="LeaseLostException"/>.
/// </summary>
public sealed partial class RunLease
{
    // The task run row's (alias t) condition for a transition, and its new status.
    private static string From(TaskRunTransition transition) => "t.status IN " + In(transition.From);

    private static string To(TaskRunTransition transition) => Literal(transition.To);

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
        await using var command = TaskCommand(StartSql(preparation is not null), runId, taskRunId, cancellationToken);
        if (preparation is { } p)
            AddPreparation(command.Parameters, p.Prompt, p.Answer, p.PromptTokens, p.CompletionTokens);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            throw new LeaseLostException();
        return (reader.GetInt32(0), reader.GetDateTime(1));
    }

    private string StartSql(bool prepared)
    {
        var preparation = prepared
            ? """
              task_prep_prompt = @prompt, task_prep_answer = @answer,
                     prompt_tokens = t.prompt_tokens + @prompt_tokens, completion_tokens = t.completion_tokens + @completion_tokens,
              """
            : "";
        return $"""
            UPDATE task_runs t SET status = {To(TaskRunStateMachine.Start)}, start_time = coalesce(t.start_time, now()), end_time = NULL, error = NULL,
                   {preparation} next_attempt_at = NULL, attempt = t.attempt + 1, modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND {From(TaskRunStateMachine.Start)} AND {Fence}
            RETURNING t.attempt, t.start_time
            """;
    }

    private static void AddPreparation(NpgsqlParameterCollection parameters, JsonObject? prompt, JsonObject answer, long promptTokens, long completionTokens)
    {
        parameters.Add(Jsonb("prompt", prompt));
        parameters.Add(Jsonb("answer", answer));
        parameters.AddWithValue("prompt_tokens", promptTokens);
        parameters.AddWithValue("completion_tokens", completionTokens);
    }

    /// <summary>
    /// Records a transient failure and when the next attempt is due: the task goes back to <c>pending</c> with
    /// <c>next_attempt_at</c>, so that waiting holds no execution slot and survives the instance.
    /// </summary>
    public async Task ScheduleRetryAsync(Guid runId, Guid taskRunId, string error, TimeSpan delay, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE task_runs t SET status = {To(TaskRunStateMachine.ScheduleRetry)}, error = @error, next_attempt_at = now() + @delay, modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND {From(TaskRunStateMachine.ScheduleRetry)} AND {Fence}
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
            WHERE t.id = @task AND t.flow_run_id = @run AND {From(TaskRunStateMachine.Complete)} AND {Fence}
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
            UPDATE task_runs t SET status = {To(TaskRunStateMachine.Complete)}, result = @result, error = NULL, next_attempt_at = NULL,
                   end_time = now(), modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND {From(TaskRunStateMachine.Complete)} AND {Fence}
            """;
        await using var command = TaskCommand(sql, runId, taskRunId, cancellationToken);
        command.Parameters.Add(Jsonb("result", result));
        Fenced(await command.ExecuteNonQueryAsync(cancellationToken));
    }

    public async Task FailTaskAsync(Guid runId, Guid taskRunId, string error, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE task_runs t SET status = {To(TaskRunStateMachine.Fail)}, error = @error, next_attempt_at = NULL, end_time = now(), modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND {From(TaskRunStateMachine.Fail)} AND {Fence}
            """;
        await using var command = TaskCommand(sql, runId, taskRunId, cancellationToken);
        command.Parameters.AddWithValue("error", error);
        Fenced(await command.ExecuteNonQueryAsync(cancellationToken));
    }

    /// <summary>
    /// Ends a task that its incoming edges decided not to run (issue 20): <c>skipped</c> with <c>end_time</c>, never started,
    /// so no preparation and no call.
    /// </summary>
    public async Task SkipTaskAsync(Guid runId, Guid taskRunId, CancellationToken cancellationToken)
    {
        var sql = $"""
            UPDATE task_runs t SET status = {To(TaskRunStateMachine.Skip)}, next_attempt_at = NULL, end_time = now(), modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND {From(TaskRunStateMachine.Skip)} AND {Fence}
            """;
        await using var command = TaskCommand(sql, runId, taskRunId, cancellationToken);
        Fenced(await command.ExecuteNonQueryAsync(cancellationToken));
    }

    /// <summary>
    /// Hands an interrupted attempt back (shutdown, lease at risk): <c>pending</c> again, as if it had not started, so
    /// whoever continues the run starts it afresh and the interruption uses up none of the task's attempts. A
    /// <c>for_each</c> task's items in progress are handed back with it, in the same statement.
    /// </summary>
    public async Task<bool> ReturnTaskToPendingAsync(Guid runId, Guid taskRunId, CancellationToken cancellationToken)
    {
        var sql = $"""
            WITH items AS (
                UPDATE task_run_items i SET status = {ItemPending}, attempt = greatest(i.attempt - 1, 0)
                WHERE i.task_run_id = @task AND i.status = {ItemInProgress} AND {ItemFence})
            UPDATE task_runs t SET status = {To(TaskRunStateMachine.HandBack)}, start_time = NULL, next_attempt_at = NULL, attempt = greatest(t.attempt - 1, 0),
                   modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND {From(TaskRunStateMachine.HandBack)} AND {Fence}
            """;
        await using var command = TaskCommand(sql, runId, taskRunId, cancellationToken);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
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
        command.Parameters.AddWithValue("owner", _queue.Owner);
        return command;
    }

    /// <summary>
    /// A value as a <c>jsonb</c> parameter, sent as the UTF-8 its writer makes, in segments: as a string it was written,
    /// turned into UTF-16 and encoded again (issue 23: a 1 MB result took 2 MB of string and as much of buffers on the
    /// large-object heap per completion). Each command is executed once, so the stream is read once.
    /// </summary>
    private static NpgsqlParameter Jsonb(string name, JsonNode? value)
    {
        if (value is null)
            return new NpgsqlParameter(name, NpgsqlDbType.Jsonb) { Value = DBNull.Value };
        var utf8 = new SegmentedBuffer();
        using (var writer = new Utf8JsonWriter(utf8, JsonDepth.WriterOptions))
            value.WriteTo(writer, JsonDepth.SerializerOptions);
        return new NpgsqlParameter(name, NpgsqlDbType.Jsonb) { Value = utf8.AsStream() };
    }

    private static string? Truncate(string? value, int length) => value is null || value.Length <= length ? value : value[..length];
}
