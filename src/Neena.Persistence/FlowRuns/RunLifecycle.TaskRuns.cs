using Neena.Domain.Common;
using Neena.Domain.FlowRuns;
using Npgsql;
using NpgsqlTypes;

namespace Neena.Persistence.FlowRuns;

/// <summary>The task runs of a run's lifecycle: their copy from the flow on approval, and their read for the flow result.</summary>
public static partial class RunLifecycle
{
    /// <summary>
    /// The operation → task-run copy: one <c>pending</c> task run per task operation of the flow, with the operation's
    /// definition, parameters, credential, place in the order, the indexes it depends on, its join and continue_on_failure
    /// and its incoming dependencies' conditions (issue 20), so that editing the flow later cannot
    /// change a run that is under way. The flow row is held <c>FOR SHARE</c> until commit and operations and dependencies
    /// are read in one statement, so a racing <c>PUT /flows</c> (which locks it <c>FOR UPDATE</c>) is seen whole or not at all.
    /// </summary>
    private static async Task CreateTaskRunsAsync(NpgsqlConnection connection, RunActor actor, Guid runId, Guid flowId, CancellationToken cancellationToken)
    {
        var rows = new List<(Guid Operation, int Index, Guid Definition, string Name, string? Instruction, string? Parameters, int SortedIndex, int[] DependsOn,
            Guid? Credential, string Join, bool ContinueOnFailure, string? Conditions, string? ForEach)>();
        await using (var read = new NpgsqlCommand("""
            SELECT 1 FROM flows WHERE id = @flow FOR SHARE;
            SELECT o.id, o.index, o.task_definition_id, o.name, o.instruction, o.parameters::text, o.sorted_index,
                   array(SELECT d.source_task_operation FROM task_dependencies d
                         WHERE d.flow_id = o.flow_id AND d.target_task_operation = o.index ORDER BY 1),
                   o.integration_credential_id, o."join", o.continue_on_failure,
                   (SELECT jsonb_object_agg(d.source_task_operation::text, d.condition) FROM task_dependencies d
                    WHERE d.flow_id = o.flow_id AND d.target_task_operation = o.index AND d.condition IS NOT NULL)::text,
                   o.for_each
            FROM task_operations o WHERE o.flow_id = @flow
            """, connection))
        {
            read.Parameters.AddWithValue("flow", flowId);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add((reader.GetGuid(0), reader.GetInt32(1), reader.GetGuid(2), reader.GetString(3),
                    await reader.IsDBNullAsync(4, cancellationToken) ? null : reader.GetString(4),
                    await reader.IsDBNullAsync(5, cancellationToken) ? null : reader.GetString(5),
                    reader.GetInt32(6), reader.GetFieldValue<int[]>(7),
                    await reader.IsDBNullAsync(8, cancellationToken) ? null : reader.GetGuid(8),
                    reader.GetString(9), reader.GetBoolean(10),
                    await reader.IsDBNullAsync(11, cancellationToken) ? null : reader.GetString(11),
                    await reader.IsDBNullAsync(12, cancellationToken) ? null : reader.GetString(12)));
            }
        }
        if (rows.Count == 0)
            return;

        await using var insert = new NpgsqlBatch(connection);
        foreach (var row in rows)
        {
            var command = new NpgsqlBatchCommand("""
                INSERT INTO task_runs (id, organization_id, flow_run_id, task_operation_index, status, attempt, task_operation_id,
                                       task_definition_id, operation_name, instruction, parameters, depends_on, sorted_index,
                                       integration_credential_id, "join", continue_on_failure, conditions, for_each,
                                       created_date, modified_date, created_by_email, modified_by_email)
                VALUES (@id, @org, @run, @index, @created_status, 0, @operation, @definition, @name, @instruction, @parameters::jsonb,
                        @depends_on, @sorted_index, @credential, @join, @continue_on_failure, @conditions::jsonb, @for_each, @at, @at, @by, @by)
                """);
            command.Parameters.AddWithValue("id", Guid.CreateVersion7());
            command.Parameters.AddWithValue("org", actor.OrganizationId);
            command.Parameters.AddWithValue("run", runId);
            command.Parameters.AddWithValue("index", row.Index);
            command.Parameters.AddWithValue("created_status", TaskRunStateMachine.Created);
            command.Parameters.AddWithValue("operation", row.Operation);
            command.Parameters.AddWithValue("definition", row.Definition);
            command.Parameters.AddWithValue("name", row.Name);
            command.Parameters.Add(new NpgsqlParameter("instruction", NpgsqlDbType.Text) { Value = (object?)row.Instruction ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter("parameters", NpgsqlDbType.Text) { Value = (object?)row.Parameters ?? DBNull.Value });
            command.Parameters.AddWithValue("depends_on", row.DependsOn);
            command.Parameters.AddWithValue("sorted_index", row.SortedIndex);
            command.Parameters.Add(new NpgsqlParameter("credential", NpgsqlDbType.Uuid) { Value = (object?)row.Credential ?? DBNull.Value });
            command.Parameters.AddWithValue("join", row.Join);
            command.Parameters.AddWithValue("continue_on_failure", row.ContinueOnFailure);
            command.Parameters.Add(new NpgsqlParameter("conditions", NpgsqlDbType.Text) { Value = (object?)row.Conditions ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter("for_each", NpgsqlDbType.Text) { Value = (object?)row.ForEach ?? DBNull.Value });
            command.Parameters.AddWithValue("at", actor.At);
            command.Parameters.Add(new NpgsqlParameter("by", NpgsqlDbType.Text) { Value = (object?)actor.Email ?? DBNull.Value });
            insert.BatchCommands.Add(command);
        }
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The task runs of a run as the flow result needs them (outputs of the final tasks, errors).</summary>
    private static async Task<List<TaskRun>> ReadTaskRunsAsync(NpgsqlConnection connection, Guid runId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT task_operation_index, operation_name, status, result::text, error, depends_on, continue_on_failure
            FROM task_runs WHERE flow_run_id = @run ORDER BY task_operation_index
            """, connection);
        command.Parameters.AddWithValue("run", runId);
        var taskRuns = new List<TaskRun>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            taskRuns.Add(new TaskRun
            {
                FlowRunId = runId,
                TaskOperationIndex = reader.GetInt32(0),
                OperationName = reader.GetString(1),
                Status = reader.GetString(2),
                // A result too deep to read (stored before the limit) is shown as the marker in the flow result, not a failure to end the run.
                Result = await reader.IsDBNullAsync(3, cancellationToken) ? null : JsonDepth.ParseStored(reader.GetString(3), out _),
                Error = await reader.IsDBNullAsync(4, cancellationToken) ? null : reader.GetString(4),
                DependsOn = [.. reader.GetFieldValue<int[]>(5)],
                // The flow result's message names tolerated failures (issue 20).
                ContinueOnFailure = reader.GetBoolean(6),
            });
        }
        return taskRuns;
    }
}
