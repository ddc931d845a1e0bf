using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Neena.Domain.FlowRuns;
using Neena.Persistence.Notifications;
using Neena.Persistence.Sql;
using Npgsql;
using NpgsqlTypes;

namespace Neena.Persistence.FlowRuns;

/// <summary>Who changes a run from the API: the caller's organization (rows of others are never touched), e-mail and clock.</summary>
/// <param name="Caller">The caller's credential, recorded as who ran the run when it approves one; null for background work.</param>
public sealed record RunActor(Guid OrganizationId, string? Email, DateTime At, RunCaller? Caller = null);

/// <summary>A credential acting on a run: <c>user</c> (a JWT: the user's id) or <c>api_key</c> (the key's id), and the user behind it.</summary>
public sealed record RunCaller(string Type, Guid Id, Guid? UserId);

/// <summary>What a conditional transition found: applied, or the run's current state (null when it does not exist).</summary>
public sealed record TransitionResult(bool Applied, string? Status, string? ApprovalStatus)
{
    public bool Found => Applied || Status is not null;
}

/// <summary>
/// The one home of the flow-run lifecycle in the database: the SQL of every state change of <c>flow_runs</c>,
/// <c>task_runs</c> and <c>flow_results</c>, for the API (this class) and the engine (<see cref="RunLease"/>, fenced on
/// its lease). Conditions come from <see cref="RunStateMachine"/>; each change is one conditional statement (or a
/// transaction that starts with one), so racing callers serialise on the run row and exactly one of them wins.
/// </summary>
public static partial class RunLifecycle
{
    /// <summary>Open runs (pending or in progress), for EF queries.</summary>
    public static readonly Expression<Func<FlowRun, bool>> IsOpen = r => RunStateMachine.OpenStatuses.Contains(r.Status);

    // Statuses are constants of the domain, never input: inlined as literals so that partial indexes keep matching.
    internal static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    internal static string In(IReadOnlyList<string> values) => "(" + string.Join(", ", values.Select(Literal)) + ")";

    /// <summary>An open run or task run.</summary>
    internal static readonly string Open = "status IN " + In(RunStateMachine.OpenStatuses);

    /// <summary>The <c>WHERE</c> condition under which <paramref name="transition"/> may happen (the run row's alias-free columns).</summary>
    internal static string Allows(RunTransition transition) =>
        "status IN " + In(transition.From) + (transition.AwaitingApprovalOnly ? " AND approval_status IS NULL" : "")
        + (transition.ApprovedOnly ? " AND approval_status = " + Literal(ApprovalStatus.Approved) : "");

    /// <summary>
    /// Retries a failed or cancelled run that had started, in the caller's transaction: <c>in_progress</c> again with no
    /// end, lease or crash count, one more retry counted; its task runs that did not complete back to <c>pending</c> (not
    /// started, no result; the error of the last attempt stays until the next one starts, which counts <c>attempt + 1</c>);
    /// completed ones are kept, so their work is not done again. The flow result stays until the run ends again, which
    /// rewrites it. The engines are told at commit, as for an approval. The first statement is the conditional update of
    /// the run row, so a racing approve, cancel or retry serialises on it and only one of them wins.
    /// </summary>
    public static async Task<TransitionResult> RetryAsync(NpgsqlConnection connection, RunActor actor, Guid runId, CancellationToken cancellationToken)
    {
        var transition = RunStateMachine.Retry;
        await using (var retry = new NpgsqlCommand($"""
            UPDATE flow_runs SET status = @to, end_time = NULL, lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = NULL,
                   prompt_tokens = NULL, completion_tokens = NULL, claim_attempts = 0, retry_count = retry_count + 1, modified_date = @at, modified_by_email = @by,
                   start_trace_parent = @trace
            WHERE id = @run AND {TenantSql.ConditionOnKeyedRow("flow_runs", "org")} AND {Allows(transition)}
            """, connection))
        {
            AddActor(retry, actor, runId);
            AddTraceParent(retry);
            retry.Parameters.AddWithValue("to", transition.To);
            if (await retry.ExecuteNonQueryAsync(cancellationToken) != 1)
                return await CurrentAsync(connection, actor, runId, cancellationToken);
        }
        await using (var tasks = new NpgsqlCommand($"""
            UPDATE task_runs SET status = {Literal(TaskRunStateMachine.Resume.To)}, start_time = NULL, end_time = NULL, next_attempt_at = NULL, result = NULL,
                   modified_date = @at, modified_by_email = @by
            WHERE flow_run_id = @run AND {TenantSql.ConditionOnKeyedRow("task_runs", "org")} AND status IN {In(TaskRunStateMachine.Resume.From)}
            """, connection))
        {
            AddActor(tasks, actor, runId);
            await tasks.ExecuteNonQueryAsync(cancellationToken);
        }
        await NotifyAsync(connection, FlowRunNotifications.Approved, runId, cancellationToken);
        return new TransitionResult(true, transition.To, transition.Approval);
    }

    /// <summary>Rejects a run awaiting approval: it ends <c>cancelled</c> with its flow result.</summary>
    public static Task<TransitionResult> RejectAsync(NpgsqlConnection connection, RunActor actor, Guid runId, CancellationToken cancellationToken) =>
        EndByActorAsync(connection, RunStateMachine.Reject, actor, runId, "The run was rejected by " + (actor.Email ?? "a user") + ".", cancellationToken);

    /// <summary>
    /// Cancels an open run: it ends <c>cancelled</c> with its open task runs and its flow result, and the engine working
    /// on it is told at commit, so it stops the run's tasks.
    /// </summary>
    public static async Task<TransitionResult> CancelAsync(NpgsqlConnection connection, RunActor actor, Guid runId, CancellationToken cancellationToken)
    {
        var result = await EndByActorAsync(connection, RunStateMachine.Cancel, actor, runId, "The run was cancelled by " + (actor.Email ?? "a user") + ".", cancellationToken);
        if (result.Applied)
            await NotifyAsync(connection, FlowRunNotifications.Cancelled, runId, cancellationToken);
        return result;
    }

    private static async Task<TransitionResult> EndByActorAsync(
        NpgsqlConnection connection, RunTransition transition, RunActor actor, Guid runId, string message, CancellationToken cancellationToken)
    {
        var ended = await EndAsync(connection, transition, runId, new RunEnding(actor.OrganizationId, FenceOwner: null, actor.At, actor.Email, message), cancellationToken);
        return ended ? new TransitionResult(true, transition.To, transition.Approval) : await CurrentAsync(connection, actor, runId, cancellationToken);
    }

    /// <summary>How a run ends: scoped to an organization (the API) or fenced on a lease (the engine); the clock; the message.</summary>
    /// <param name="At">The time of the ending; null for the database's clock (the engine, so instances agree).</param>
    internal sealed record RunEnding(Guid? OrganizationId, string? FenceOwner, DateTime? At, string? Email, string? Message);

    /// <summary>
    /// Ends a run, in the caller's transaction: the final status (conditional on <paramref name="transition"/>, and on the
    /// scope or fence of <paramref name="ending"/>), its open task runs <c>cancelled</c>, the lease and any retry time
    /// cleared, the run's token totals recorded, and exactly one flow result composed from the task runs as they are now (a retried run's ending rewrites the
    /// result of its earlier ending; two endings of one open run cannot both pass the conditional update). False when the condition did not
    /// hold; nothing is written then.
    /// </summary>
    internal static async Task<bool> EndAsync(NpgsqlConnection connection, RunTransition transition, Guid runId, RunEnding ending, CancellationToken cancellationToken)
    {
        if (!transition.Ends)
            throw new ArgumentException($"'{transition.Verb}' does not end a run.", nameof(transition));

        Guid organizationId;
        await using (var run = new NpgsqlCommand($"""
            UPDATE flow_runs SET status = @to, approval_status = coalesce(@approval, approval_status),
                   end_time = coalesce(@at, now()), lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = NULL,
                   modified_date = coalesce(@at, now()), modified_by_email = coalesce(@by, modified_by_email),
                   prompt_tokens = (SELECT coalesce(sum(t.prompt_tokens), 0) FROM task_runs t WHERE t.flow_run_id = @run),
                   completion_tokens = (SELECT coalesce(sum(t.completion_tokens), 0) FROM task_runs t WHERE t.flow_run_id = @run)
            WHERE id = @run AND {Allows(transition)}
              AND (@org IS NULL OR organization_id = @org)
              AND (@owner IS NULL OR lease_owner = @owner)
            RETURNING organization_id
            """, connection))
        {
            run.Parameters.AddWithValue("run", runId);
            run.Parameters.AddWithValue("to", transition.To);
            run.Parameters.Add(new NpgsqlParameter("approval", NpgsqlDbType.Text) { Value = (object?)transition.Approval ?? DBNull.Value });
            AddEnding(run, ending);
            if (await run.ExecuteScalarAsync(cancellationToken) is not Guid found)
                return false;
            organizationId = found;
        }
        if (NotificationOutboxSql.RunEndEvent(transition.To) is { } ended)
            await NotificationOutboxSql.EnqueueAsync(connection, organizationId, ended, runId, cancellationToken);

        await using (var tasks = new NpgsqlCommand($"""
            UPDATE task_runs SET status = @cancelled_status, end_time = coalesce(@at, now()), next_attempt_at = NULL, modified_date = coalesce(@at, now()),
                   error = {CancelReasonSql}
            WHERE flow_run_id = @run AND status IN {In(TaskRunStateMachine.Cancel.From)}
            """, connection))
        {
            tasks.Parameters.AddWithValue("run", runId);
            tasks.Parameters.AddWithValue("by_person", ending.FenceOwner is null);
            tasks.Parameters.Add(new NpgsqlParameter("by", NpgsqlDbType.Text) { Value = (object?)ending.Email ?? DBNull.Value });
            tasks.Parameters.AddWithValue("ended_as", transition.To);
            tasks.Parameters.AddWithValue("cancelled_status", TaskRunStateMachine.Cancel.To);
            tasks.Parameters.Add(new NpgsqlParameter("at", NpgsqlDbType.TimestampTz) { Value = (object?)ending.At ?? DBNull.Value });
            await tasks.ExecuteNonQueryAsync(cancellationToken);
        }

        var body = await ComposeBodyAsync(connection, transition.To, runId, ending.Message, cancellationToken);
        // A run a webhook started carries its trigger run, the platform entity the event was about and the trigger's
        // integration into its result, so results can be found by platform and entity; other runs get nulls.
        await using (var result = new NpgsqlCommand("""
            INSERT INTO flow_results (id, organization_id, flow_run_id, body, trigger_run_id, integration_entity_id, integration_id,
                                      created_date, modified_date, created_by_email, modified_by_email)
            SELECT @id, @organization, @run, convert_from(@body, 'UTF8'), origin.id, origin.integration_entity_id, origin.integration_id,
                   coalesce(@at, now()), coalesce(@at, now()), @by, @by
            FROM (SELECT 1) AS one
            LEFT JOIN LATERAL (
                SELECT t.id, t.integration_entity_id, d.integration_id
                FROM trigger_runs t
                JOIN webhook_trigger_operations o ON o.id = t.webhook_trigger_operation_id
                JOIN webhook_trigger_definitions d ON d.id = o.webhook_trigger_definition_id
                WHERE t.flow_run_id = @run
                ORDER BY t.created_date, t.id
                LIMIT 1) AS origin ON true
            ON CONFLICT (flow_run_id) DO UPDATE SET body = excluded.body, modified_date = excluded.modified_date,
                   modified_by_email = excluded.modified_by_email
            """, connection))
        {
            result.Parameters.AddWithValue("id", Guid.CreateVersion7());
            result.Parameters.AddWithValue("organization", organizationId);
            result.Parameters.AddWithValue("run", runId);
            result.Parameters.Add(new NpgsqlParameter("body", NpgsqlDbType.Bytea) { Value = body.AsStream() });
            result.Parameters.Add(new NpgsqlParameter("at", NpgsqlDbType.TimestampTz) { Value = (object?)ending.At ?? DBNull.Value });
            result.Parameters.Add(new NpgsqlParameter("by", NpgsqlDbType.Text) { Value = (object?)ending.Email ?? DBNull.Value });
            await result.ExecuteNonQueryAsync(cancellationToken);
        }
        return true;
    }

    /// <summary>
    /// Why a task run is cancelled, so that a reader of the run need not work it out: a person's cancel names them; the
    /// engine ends the rest of a run when a task failed (the first to fail is named); anything else says how the run ended.
    /// </summary>
    private static readonly string CancelReasonSql = $"""
        CASE WHEN @by_person THEN 'Cancelled by ' || coalesce(@by, 'a user')
             ELSE coalesce(
                 (SELECT 'Cancelled: task ' || f.task_operation_index || ' (' || o.name || ') failed'
                  FROM task_runs f
                  JOIN flow_runs r ON r.id = f.flow_run_id
                  JOIN task_operations o ON o.flow_id = r.flow_id AND o.index = f.task_operation_index
                  WHERE f.flow_run_id = @run AND f.status = {Literal(TaskRunStateMachine.Fail.To)}
                  ORDER BY f.end_time, f.task_operation_index LIMIT 1),
                 'Cancelled: the run ended ' || @ended_as)
        END
        """;

    private static async Task<TransitionResult> CurrentAsync(NpgsqlConnection connection, RunActor actor, Guid runId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT status, approval_status FROM flow_runs WHERE id = @run AND {TenantSql.ConditionOnKeyedRow("flow_runs", "org")}", connection);
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("org", actor.OrganizationId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return new TransitionResult(false, null, null);
        return new TransitionResult(false, reader.GetString(0), await reader.IsDBNullAsync(1, cancellationToken) ? null : reader.GetString(1));
    }

    private static async Task NotifyAsync(NpgsqlConnection connection, string channel, Guid runId, CancellationToken cancellationToken)
    {
        await using var notify = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", connection);
        notify.Parameters.AddWithValue("channel", channel);
        notify.Parameters.AddWithValue("payload", runId.ToString());
        await notify.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The current trace (the approving or retrying request's, when traced) as <c>@trace</c>, for the engine to link the run's span to.</summary>
    private static void AddTraceParent(NpgsqlCommand command)
    {
        var current = System.Diagnostics.Activity.Current;
        var traceParent = current is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C, Id.Length: <= 64 } ? current.Id : null;
        command.Parameters.Add(new NpgsqlParameter("trace", NpgsqlDbType.Text) { Value = (object?)traceParent ?? DBNull.Value });
    }

    private static void AddActor(NpgsqlCommand command, RunActor actor, Guid runId)
    {
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("org", actor.OrganizationId);
        command.Parameters.AddWithValue("at", actor.At);
        command.Parameters.Add(new NpgsqlParameter("by", NpgsqlDbType.Text) { Value = (object?)actor.Email ?? DBNull.Value });
    }

    private static void AddEnding(NpgsqlCommand command, RunEnding ending)
    {
        command.Parameters.Add(new NpgsqlParameter("org", NpgsqlDbType.Uuid) { Value = (object?)ending.OrganizationId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("owner", NpgsqlDbType.Text) { Value = (object?)ending.FenceOwner ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("at", NpgsqlDbType.TimestampTz) { Value = (object?)ending.At ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("by", NpgsqlDbType.Text) { Value = (object?)ending.Email ?? DBNull.Value });
    }
}

/// <summary>Gives the API's transitions the connection of its context's open transaction, so they commit together with it.</summary>
public static class RunLifecycleContextExtensions
{
    public static NpgsqlConnection TransactionConnection(this NeenaDbContext db)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (db.Database.CurrentTransaction is null)
            throw new InvalidOperationException("Run transitions need the context's transaction: begin one first.");
        return (NpgsqlConnection)db.Database.GetDbConnection();
    }
}
