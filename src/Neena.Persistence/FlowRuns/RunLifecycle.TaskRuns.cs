using System.Buffers;
using System.Text.Json;
using Neena.Domain.Common;
using Neena.Domain.FlowRuns;
using Neena.Persistence.Sql;
using Npgsql;
using NpgsqlTypes;

namespace Neena.Persistence.FlowRuns;

/// <summary>The task runs of a run's lifecycle: the approval that copies them from the flow, and their read for the flow result.</summary>
public static partial class RunLifecycle
{
    /// <summary>
    /// Approves a run awaiting approval in one statement (the caller's transaction, or its own): <c>in_progress</c>, its task runs
    /// copied from the flow, and a notification to the engines, delivered at commit.
    /// </summary>
    /// <remarks>
    /// The operation → task-run copy: one <c>pending</c> task run per task operation of the flow, with the operation's
    /// definition, parameters, credential, place in the order, the indexes it depends on, its join and continue_on_failure
    /// and its incoming dependencies' conditions (issue 20), so that editing the flow later cannot change a run that is
    /// under way. The copy is an <c>INSERT … SELECT</c> in the statement of the conditional update (issue 23): one round
    /// trip instead of four, and no row lock on the flow. A statement reads one snapshot, so a racing <c>PUT /flows</c>
    /// (one transaction) is seen whole or not at all without the <c>FOR SHARE</c> that used to serialise every approval
    /// of a flow on its row; a pending run is open, so <c>DELETE /flows</c> refuses the flow meanwhile.
    /// </remarks>
    public static async Task<TransitionResult> ApproveAsync(NpgsqlConnection connection, RunActor actor, Guid runId, CancellationToken cancellationToken)
    {
        await using (var approve = ApproveCommand(ApproveStatement, connection, actor, runId, notify: true))
        {
            // One row when the conditional update applied (the notification is sent at commit), none when it did not.
            await using var reader = await approve.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                await reader.DisposeAsync();
                return await CurrentAsync(connection, actor, runId, cancellationToken);
            }
        }
        return new TransitionResult(true, RunStateMachine.Approve.To, RunStateMachine.Approve.Approval);
    }

    /// <summary>
    /// <see cref="ApproveAsync"/> on its own (no transaction of the caller's), and the run as it is then, with its task runs,
    /// read in the same round trip: the approval and its answer were two (issue 23). The run is null when the organization
    /// has no such run; when the approval did not apply, the result carries the run's current state.
    /// </summary>
    /// <remarks>
    /// The statements of one command run in one implicit transaction, each with a new snapshot: the reads see the approval
    /// and its task runs, which they only look up by their keys. Nothing is notified in it: once this returns (committed)
    /// with the approval applied, the caller announces the run with <see cref="ApprovalAnnouncer"/>.
    /// </remarks>
    public static async Task<(TransitionResult Result, FlowRunRecord? Run)> ApproveAndReadAsync(
        NpgsqlConnection connection, RunActor actor, Guid runId, CancellationToken cancellationToken)
    {
        await using var approve = ApproveCommand(ApproveAndRead, connection, actor, runId, notify: false);
        approve.Parameters.AddWithValue("id", runId);
        approve.Parameters.AddWithValue(TenantSql.Parameter, actor.OrganizationId);
        await using var reader = await approve.ExecuteReaderAsync(cancellationToken);
        var applied = await reader.ReadAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var runs = await FlowRunRowReader.RunsAsync(reader, cancellationToken);
        if (runs.Count == 0)
            return (new TransitionResult(false, null, null), null);
        await reader.NextResultAsync(cancellationToken);
        var record = new FlowRunRecord(runs[0], await FlowRunRowReader.TasksAsync(reader, cancellationToken));
        var result = applied
            ? new TransitionResult(true, RunStateMachine.Approve.To, RunStateMachine.Approve.Approval)
            : new TransitionResult(false, record.Run.Status, record.Run.ApprovalStatus);
        return (result, record);
    }

    // One row when the conditional update applied (the notification is sent at commit), none when it did not.
    internal static readonly string ApproveStatement = Approve(notify: true);

    // The approval, then the by-id read (its @id and @tenant are bound to the run and its organization). No NOTIFY: the
    // caller announces the run after the commit (ApprovalAnnouncer).
    internal static readonly string ApproveAndRead = Approve(notify: false) + ";\n" + FlowRunQueries.OneRun;

    private static string Approve(bool notify) => $"""
        WITH approved AS (
            UPDATE flow_runs SET status = @to, approval_status = @approval, start_time = @at, modified_date = @at, modified_by_email = @by,
                   ran_by_type = coalesce(@caller_type, ran_by_type), ran_by_id = coalesce(@caller_id, ran_by_id),
                   ran_by_user_id = CASE WHEN @caller_type IS NULL THEN ran_by_user_id ELSE @caller_user END,
                   start_trace_parent = @trace
            WHERE id = @run AND {TenantSql.ConditionOnKeyedRow("flow_runs", "org")} AND {Allows(RunStateMachine.Approve)}
            RETURNING id, flow_id),
        copied AS (
            INSERT INTO task_runs (id, organization_id, flow_run_id, task_operation_index, status, attempt, task_operation_id,
                                   task_definition_id, operation_name, instruction, parameters, depends_on, sorted_index,
                                   integration_credential_id, "join", continue_on_failure, conditions, for_each,
                                   created_date, modified_date, created_by_email, modified_by_email)
            SELECT {NewVersion7Id}, @org, a.id, o.index, {Literal(TaskRunStateMachine.Created)}, 0, o.id,
                   o.task_definition_id, o.name, o.instruction, o.parameters,
                   array(SELECT d.source_task_operation FROM task_dependencies d
                         WHERE d.flow_id = o.flow_id AND d.target_task_operation = o.index ORDER BY 1),
                   o.sorted_index, o.integration_credential_id, o."join", o.continue_on_failure,
                   (SELECT jsonb_object_agg(d.source_task_operation::text, d.condition) FROM task_dependencies d
                    WHERE d.flow_id = o.flow_id AND d.target_task_operation = o.index AND d.condition IS NOT NULL),
                   o.for_each, @at, @at, @by, @by
            FROM approved a JOIN task_operations o ON o.flow_id = a.flow_id
            ORDER BY o.index)
        SELECT {(notify ? "pg_notify(@channel, a.id::text)" : "a.id")} FROM approved a
        """;

    private static NpgsqlCommand ApproveCommand(string text, NpgsqlConnection connection, RunActor actor, Guid runId, bool notify)
    {
        var transition = RunStateMachine.Approve;
        var approve = new NpgsqlCommand(text, connection);
        AddActor(approve, actor, runId);
        // The approval is what runs the run: its credential becomes who ran it (background work leaves the creator's).
        approve.Parameters.Add(new NpgsqlParameter("caller_type", NpgsqlDbType.Text) { Value = (object?)actor.Caller?.Type ?? DBNull.Value });
        approve.Parameters.Add(new NpgsqlParameter("caller_id", NpgsqlDbType.Uuid) { Value = (object?)actor.Caller?.Id ?? DBNull.Value });
        approve.Parameters.Add(new NpgsqlParameter("caller_user", NpgsqlDbType.Uuid) { Value = (object?)actor.Caller?.UserId ?? DBNull.Value });
        AddTraceParent(approve);
        approve.Parameters.AddWithValue("to", transition.To);
        approve.Parameters.AddWithValue("approval", transition.Approval!);
        if (notify)
            approve.Parameters.AddWithValue("channel", FlowRunNotifications.Approved);
        return approve;
    }

    /// <summary>
    /// A version 7 UUID made by the database (PostgreSQL 15 has no <c>uuidv7()</c>): the unix milliseconds of
    /// <c>clock_timestamp()</c> over the first 48 bits of a random UUID, the version bits turned from 4 to 7, as
    /// <see cref="Guid.CreateVersion7()"/> makes the ids written from .NET.
    /// </summary>
    private const string NewVersion7Id = """
        encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
                                       placing substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                                       FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
        """;

    /// <summary>
    /// The flow result's body (<see cref="FlowOutcome.WriteBodyAsync"/>) as UTF-8: the task runs' statuses and errors read
    /// first, then the final tasks' stored results streamed into it one at a time (issue 23: read as text, parsed and
    /// written again, ten 1 MB results took about 90 MB of the large-object heap).
    /// </summary>
    private static async Task<SegmentedBuffer> ComposeBodyAsync(
        NpgsqlConnection connection, string runStatus, Guid runId, string? message, CancellationToken cancellationToken)
    {
        var taskRuns = await ReadTaskRunsAsync(connection, runId, cancellationToken);
        var finals = FlowOutcome.FinalTasks(taskRuns);
        await using var command = new NpgsqlCommand("""
            SELECT task_operation_index, convert_to(result::text, 'UTF8')
            FROM task_runs WHERE flow_run_id = @run AND task_operation_index = ANY(@finals) ORDER BY task_operation_index
            """, connection);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("finals", finals.Select(t => t.TaskOperationIndex).ToArray());
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
        var body = new SegmentedBuffer();
        await using (var writer = new Utf8JsonWriter(body, JsonDepth.WriterOptions))
        {
            await FlowOutcome.WriteBodyAsync(writer, runStatus, taskRuns, message, async (final, w) =>
            {
                if (!await reader.ReadAsync(cancellationToken) || reader.GetInt32(0) != final.TaskOperationIndex)
                    throw new InvalidOperationException($"The result of task {final.TaskOperationIndex} of run {runId} was not read in order.");
                if (await reader.IsDBNullAsync(1, cancellationToken))
                {
                    w.WriteNullValue();
                    return;
                }
                var length = checked((int)reader.GetBytes(1, 0, null, 0, 0));
                var buffer = ArrayPool<byte>.Shared.Rent(length);
                try
                {
                    var read = 0;
                    while (read < length)
                        read += (int)reader.GetBytes(1, read, buffer, read, length - read);
                    // A result too deep to read (stored before the limit) is shown as the marker, not a failure to end the run.
                    JsonDepth.WriteStored(w, buffer.AsMemory(0, length));
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            });
        }
        return body;
    }

    /// <summary>The task runs of a run as the flow result needs them, without their results (<see cref="ComposeBodyAsync"/>).</summary>
    private static async Task<List<TaskRun>> ReadTaskRunsAsync(NpgsqlConnection connection, Guid runId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT task_operation_index, operation_name, status, error, depends_on, continue_on_failure
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
                Error = await reader.IsDBNullAsync(3, cancellationToken) ? null : reader.GetString(3),
                DependsOn = [.. reader.GetFieldValue<int[]>(4)],
                // The flow result's message names tolerated failures (issue 20).
                ContinueOnFailure = reader.GetBoolean(5),
            });
        }
        return taskRuns;
    }
}
