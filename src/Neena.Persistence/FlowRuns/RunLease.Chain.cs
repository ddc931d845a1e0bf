using System.Text.Json.Nodes;
using Neena.Domain.FlowRuns;
using Npgsql;

namespace Neena.Persistence.FlowRuns;

/// <summary>A task to start together with a completion, with what its local preparation asked and answered.</summary>
public sealed record ChainedStart(Guid TaskRunId, JsonObject? Prompt, JsonObject Answer, long PromptTokens, long CompletionTokens);

public sealed partial class RunLease
{
    /// <summary>
    /// Completes a task and starts the tasks that its completion made ready, in one round trip: one batch, so one implicit
    /// transaction (one <c>now()</c>: each start's <c>start_time</c> is the completion's <c>end_time</c>). Every statement
    /// is fenced as <see cref="CompleteTaskAsync"/> and <see cref="StartPreparedTaskAsync"/> are; returns each start's
    /// attempt and start time in the order of <paramref name="starts"/>, or throws <see cref="LeaseLostException"/> when a
    /// fence refused (a refused completion refuses every start with it: the same fence, in the same transaction).
    /// </summary>
    public async Task<List<(int Attempt, DateTime StartTime)>> CompleteAndStartAsync(
        Guid runId, Guid taskRunId, JsonNode? result, IReadOnlyList<ChainedStart> starts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(starts);
        ThrowIfHalted();
        cancellationToken.ThrowIfCancellationRequested();
        await using var batch = _queue.DataSource.CreateBatch();
        var complete = new NpgsqlBatchCommand($"""
            UPDATE task_runs t SET status = {To(TaskRunStateMachine.Complete)}, result = @result, error = NULL, next_attempt_at = NULL,
                   end_time = now(), modified_date = now()
            WHERE t.id = @task AND t.flow_run_id = @run AND {From(TaskRunStateMachine.Complete)} AND {Fence}
            RETURNING t.id
            """);
        AddTaskParameters(complete.Parameters, runId, taskRunId);
        complete.Parameters.Add(Jsonb("result", result));
        batch.BatchCommands.Add(complete);
        foreach (var start in starts)
        {
            var command = new NpgsqlBatchCommand(StartSql(prepared: true));
            AddTaskParameters(command.Parameters, runId, start.TaskRunId);
            AddPreparation(command.Parameters, start.Prompt, start.Answer, start.PromptTokens, start.CompletionTokens);
            batch.BatchCommands.Add(command);
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            throw new LeaseLostException();
        var started = new List<(int Attempt, DateTime StartTime)>(starts.Count);
        for (var i = 0; i < starts.Count; i++)
        {
            // A start the fence let through but whose task was not open means rows this instance does not know: the
            // run is inconsistent with what it holds, so it lets go as if the lease were lost.
            if (!await reader.NextResultAsync(cancellationToken) || !await reader.ReadAsync(cancellationToken))
                throw new LeaseLostException();
            started.Add((reader.GetInt32(0), reader.GetDateTime(1)));
        }
        return started;
    }

    private void AddTaskParameters(NpgsqlParameterCollection parameters, Guid runId, Guid taskRunId)
    {
        parameters.AddWithValue("run", runId);
        parameters.AddWithValue("task", taskRunId);
        parameters.AddWithValue("owner", _queue.Owner);
    }
}
