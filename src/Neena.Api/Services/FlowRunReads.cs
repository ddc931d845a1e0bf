using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.FlowRuns;
using Neena.Persistence;
using Npgsql;

namespace Neena.Api.Services;

/// <summary>
/// The flow run reads every client polls (<c>GET /flow_runs/?id=</c>, the lists), as hand-written SQL on the context's
/// connection: EF's per-query work (parameter extraction, query cache lookup, materialisation through the entity's
/// jsonb → node converters) was most of their cost. The tenant is applied here as the query filter does elsewhere
/// (<c>organization_id</c> = the caller's; none, no rows). The statements are constant texts, so Npgsql prepares them
/// once per connection, and stored JSON is read as text and written to the response as it is (<see cref="StoredJson"/>).
/// </summary>
internal static class FlowRunReads
{
    private const string RunColumns =
        "r.id, r.flow_id, r.flow_request_id, r.status, r.approval_status, r.triggered_time, r.end_time, r.triggered_by, r.start_time, r.created_date, r.modified_date, " +
        "r.tags, r.run_type, r.ran_by_type, r.ran_by_id, r.created_by_type, r.created_by_id, r.retry_count";

    // jsonb as its text's UTF-8 bytes (bytea travels as is): what the response writes, with no string in between.
    private const string TaskColumns =
        "t.id, t.flow_run_id, t.task_operation_index, t.status, t.start_time, t.end_time, " +
        "convert_to(t.task_prep_prompt::text, 'UTF8'), convert_to(t.task_prep_answer::text, 'UTF8'), convert_to(t.result::text, 'UTF8'), " +
        "t.error, t.attempt, t.operation_name, t.prompt_tokens, t.completion_tokens, t.integration_credential_id";

    /// <summary>One run with its task runs, in one round trip; null when the caller's organization has no such run.</summary>
    public static async Task<FlowRunResponse?> GetAsync(NeenaDbContext db, Guid id, CancellationToken cancellationToken)
    {
        if (db.Tenant.OrganizationId is not { } organization)
            return null;
        return await WithConnectionAsync(db, async connection =>
        {
            await using var batch = new NpgsqlBatch(connection);
            batch.BatchCommands.Add(Command($"SELECT {RunColumns} FROM flow_runs r WHERE r.id = $1 AND r.organization_id = $2", id, organization));
            batch.BatchCommands.Add(Command(
                $"SELECT {TaskColumns} FROM task_runs t WHERE t.flow_run_id = $1 AND t.organization_id = $2 ORDER BY t.task_operation_index", id, organization));
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
                return null;
            var run = ReadRun(reader);
            await reader.NextResultAsync(cancellationToken);
            var tasks = new List<TaskRunResponse>();
            while (await reader.ReadAsync(cancellationToken))
                tasks.Add(ReadTask(reader));
            return WithTasks(run, tasks);
        }, cancellationToken);
    }

    /// <summary>A page of runs, newest first (then by id), optionally filtered, with their task runs: two statements whatever the page size.</summary>
    public static async Task<IReadOnlyList<FlowRunResponse>> ListAsync(
        NeenaDbContext db, PageQuery page, IReadOnlyList<string> statuses, Guid? flowId, DateTime? from, DateTime? to, CancellationToken cancellationToken,
        string? tag = null)
    {
        if (db.Tenant.OrganizationId is not { } organization || page.Limit == 0)
            return [];
        return await WithConnectionAsync(db, async connection =>
        {
            // The filters that are set become conditions; each combination is its own constant text, prepared once.
            var runs = new NpgsqlCommand { Connection = connection };
            await using var runsCommand = runs;
            var sql = new System.Text.StringBuilder($"SELECT {RunColumns} FROM flow_runs r WHERE r.organization_id = $1");
            runs.Parameters.Add(new NpgsqlParameter { Value = organization });
            if (statuses.Count > 0)
                Condition(runs, sql, "r.status = ANY(${0})", statuses.ToArray());
            if (flowId is { } flow)
                Condition(runs, sql, "r.flow_id = ${0}", flow);
            if (from is { } start)
                Condition(runs, sql, "r.triggered_time >= ${0}", start);
            if (to is { } end)
                Condition(runs, sql, "r.triggered_time <= ${0}", end);
            if (tag is not null)
                Condition(runs, sql, "r.tags @> ${0}", new[] { tag });
            sql.Append(" ORDER BY r.created_date DESC, r.id DESC");
            Condition(runs, sql, " OFFSET ${0}", (long)page.Skip, where: false);
            Condition(runs, sql, " LIMIT ${0}", (long)page.Limit, where: false);
            runs.CommandText = sql.ToString();

            var rows = new List<FlowRunResponse>(page.Limit);
            await using (var reader = await runs.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                    rows.Add(ReadRun(reader));
            }
            if (rows.Count == 0)
                return (IReadOnlyList<FlowRunResponse>)[];

            var byRun = new Dictionary<Guid, List<TaskRunResponse>>(rows.Count);
            await using (var tasks = new NpgsqlCommand(
                $"SELECT {TaskColumns} FROM task_runs t WHERE t.flow_run_id = ANY($1) AND t.organization_id = $2 ORDER BY t.flow_run_id, t.task_operation_index",
                connection))
            {
                tasks.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Id).ToArray() });
                tasks.Parameters.Add(new NpgsqlParameter { Value = organization });
                await using var reader = await tasks.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var task = ReadTask(reader);
                    if (!byRun.TryGetValue(task.FlowRun, out var list))
                        byRun[task.FlowRun] = list = [];
                    list.Add(task);
                }
            }
            return rows.Select(r => WithTasks(r, byRun.TryGetValue(r.Id, out var list) ? list : [])).ToList();
        }, cancellationToken);
    }

    private static void Condition(NpgsqlCommand command, System.Text.StringBuilder sql, string template, object value, bool where = true)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = value });
        if (where)
            sql.Append(" AND ");
        sql.Append(template.Replace("{0}", command.Parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }

    /// <summary>Runs on the context's connection (and transaction, if one is open), opening and closing it as EF would.</summary>
    private static async Task<T> WithConnectionAsync<T>(NeenaDbContext db, Func<NpgsqlConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            return await read((NpgsqlConnection)db.Database.GetDbConnection());
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static FlowRunResponse ReadRun(DbDataReader r) => new(
        Flow: r.GetGuid(1),
        FlowRequest: r.GetGuid(2),
        Status: r.GetString(3),
        ApprovalStatus: NullableString(r, 4),
        TriggeredTime: NullableTime(r, 5),
        EndTime: NullableTime(r, 6),
        TriggeredBy: NullableString(r, 7),
        Id: r.GetGuid(0),
        TaskRuns: [],
        StartTime: NullableTime(r, 8),
        CreatedDate: r.GetDateTime(9),
        ModifiedDate: r.GetDateTime(10),
        TotalTokens: 0,
        DurationMs: r.IsDBNull(6) ? null : Milliseconds(NullableTime(r, 8) ?? r.GetDateTime(9), r.GetDateTime(6)),
        FailedTask: null,
        Tags: r.GetFieldValue<string[]>(11),
        RunType: r.GetString(12),
        RanByType: NullableString(r, 13),
        RanById: r.IsDBNull(14) ? null : r.GetGuid(14),
        CreatedByType: NullableString(r, 15),
        CreatedById: r.IsDBNull(16) ? null : r.GetGuid(16),
        RetryCount: r.GetInt32(17));

    private static TaskRunResponse ReadTask(DbDataReader r) => new(
        Id: r.GetGuid(0),
        FlowRun: r.GetGuid(1),
        TaskOperationIndex: r.GetInt32(2),
        Status: r.GetString(3),
        StartTime: NullableTime(r, 4),
        EndTime: NullableTime(r, 5),
        TaskPrepPrompt: StoredJsonObject.From(NullableBytes(r, 6)),
        TaskPrepAnswer: StoredJsonObject.From(NullableBytes(r, 7)),
        Result: StoredJson.From(NullableBytes(r, 8)),
        Error: NullableString(r, 9),
        Attempt: r.GetInt32(10),
        OperationName: r.GetString(11),
        PromptTokens: r.GetInt64(12),
        CompletionTokens: r.GetInt64(13),
        IntegrationCredential: r.IsDBNull(14) ? null : r.GetGuid(14),
        DurationMs: r.IsDBNull(4) || r.IsDBNull(5) ? null : Milliseconds(r.GetDateTime(4), r.GetDateTime(5)));

    /// <summary>The task runs complete the run: its tokens, and its failed task (only a failed run has one; the lowest index if several).</summary>
    private static FlowRunResponse WithTasks(FlowRunResponse run, List<TaskRunResponse> tasks)
    {
        var failed = Domain.FlowRuns.TaskRunConditions.FailedTaskOf(run.Status, tasks, t => t.Status);
        return run with
        {
            TaskRuns = tasks,
            TotalTokens = tasks.Sum(t => t.PromptTokens + t.CompletionTokens),
            FailedTask = failed is null ? null : new FailedTaskResponse(failed.TaskOperationIndex, failed.OperationName, failed.Error),
        };
    }

    private static long Milliseconds(DateTime start, DateTime end) => Math.Max(0, (long)Math.Round((end - start).TotalMilliseconds));

    private static string? NullableString(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static byte[]? NullableBytes(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<byte[]>(i);

    private static DateTime? NullableTime(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDateTime(i);
}
