using Dapper;
using Neena.Persistence.Sql;

namespace Neena.Persistence.FlowRuns;

/// <summary>
/// The flow run reads every client polls (<c>GET /flow_runs/?id=</c>, the lists), as SQL on the context's connection:
/// EF's per-query work (parameter extraction, query cache lookup, materialisation through the entity's jsonb → node
/// converters) was most of their cost. The statements are constant texts for each combination of filters, so Npgsql
/// prepares them once per connection; stored JSON is read as its UTF-8 text (<see cref="TaskRunRow"/>).
/// </summary>
public sealed partial class FlowRunQueries(NeenaDbContext db)
{
    private const string RunColumns =
        "r.id, r.flow_id, r.flow_request_id, r.status, r.approval_status, r.triggered_time, r.end_time, r.triggered_by, r.start_time, r.created_date, r.modified_date, " +
        "r.tags, r.run_type, r.ran_by_type, r.ran_by_id, r.created_by_type, r.created_by_id, r.retry_count";

    // jsonb as its text's UTF-8 bytes (bytea travels as is): what the answer writes, with no string in between.
    private const string TaskColumns =
        "t.id, t.flow_run_id, t.task_operation_index, t.status, t.start_time, t.end_time, " +
        "convert_to(t.task_prep_prompt::text, 'UTF8') AS task_prep_prompt, convert_to(t.task_prep_answer::text, 'UTF8') AS task_prep_answer, " +
        "convert_to(t.result::text, 'UTF8') AS result, " +
        "t.error, t.attempt, t.operation_name, t.prompt_tokens, t.completion_tokens, t.integration_credential_id, t.continue_on_failure, " +
        // A for_each task run's items (issue 20) in index order ([] before they are created); null for other task runs. The
        // tenant test in the form no index serves (TenantSql.ConditionOnKeyedRow): the item is found by its task run.
        "CASE WHEN t.for_each IS NOT NULL THEN convert_to(coalesce((SELECT jsonb_agg(jsonb_build_object('index', i.item_index, 'status', i.status, " +
        "'result', i.result, 'error', i.error, 'attempt', i.attempt) ORDER BY i.item_index) FROM task_run_items i " +
        "WHERE i.task_run_id = t.id AND i.organization_id IS NOT DISTINCT FROM t.organization_id), '[]'::jsonb)::text, 'UTF8') END AS items";

    internal static readonly string OneRun =
        $"SELECT {RunColumns} FROM flow_runs r WHERE r.id = @id AND {TenantSql.ConditionOnKeyedRow("r")};\n" +
        $"SELECT {TaskColumns} FROM task_runs t WHERE t.flow_run_id = @id AND {TenantSql.ConditionOnKeyedRow("t")} ORDER BY t.task_operation_index";

    internal static readonly string TasksOfRuns =
        $"SELECT {TaskColumns} FROM task_runs t WHERE t.flow_run_id = ANY(@runs) AND {TenantSql.ConditionOnKeyedRow("t")} ORDER BY t.flow_run_id, t.task_operation_index";

    /// <summary>One run with its task runs, in one round trip; null when the tenant has no such run.</summary>
    public Task<FlowRunRecord?> GetAsync(Tenant tenant, Guid id, CancellationToken cancellationToken) =>
        db.WithConnectionAsync(async (connection, transaction) =>
        {
            var parameters = TenantSql.Parameters(tenant);
            parameters.Add("id", id);
            await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(OneRun, parameters, transaction, cancellationToken: cancellationToken));
            var runs = await FlowRunRowReader.RunsAsync(reader, cancellationToken);
            if (runs.Count == 0)
                return null;
            await reader.NextResultAsync(cancellationToken);
            return new FlowRunRecord(runs[0], await FlowRunRowReader.TasksAsync(reader, cancellationToken));
        }, cancellationToken);

    /// <summary>A page of runs, newest first (then by id), with their task runs: two statements whatever the page size.</summary>
    public async Task<IReadOnlyList<FlowRunRecord>> ListAsync(Tenant tenant, FlowRunListFilter filter, int skip, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (limit == 0)
            return [];
        var (sql, where) = PageOfRuns(tenant, filter, skip, limit);

        return await db.WithConnectionAsync(async (connection, transaction) =>
        {
            List<FlowRunRow> runs;
            await using (var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, where.Parameters, transaction, cancellationToken: cancellationToken)))
                runs = await FlowRunRowReader.RunsAsync(reader, cancellationToken);
            if (runs.Count == 0)
                return (IReadOnlyList<FlowRunRecord>)[];
            var parameters = TenantSql.Parameters(tenant);
            parameters.Add("runs", runs.Select(r => r.Id).ToArray());
            var byRun = new Dictionary<Guid, List<TaskRunRow>>(runs.Count);
            List<TaskRunRow> tasks;
            await using (var reader = await connection.ExecuteReaderAsync(new CommandDefinition(TasksOfRuns, parameters, transaction, cancellationToken: cancellationToken)))
                tasks = await FlowRunRowReader.TasksAsync(reader, cancellationToken);
            foreach (var task in tasks)
            {
                if (!byRun.TryGetValue(task.FlowRunId, out var list))
                    byRun[task.FlowRunId] = list = [];
                list.Add(task);
            }
            return runs.Select(r => new FlowRunRecord(r, byRun.TryGetValue(r.Id, out var list) ? list : [])).ToList();
        }, cancellationToken);
    }

    private static (string Sql, SqlWhere Where) PageOfRuns(Tenant tenant, FlowRunListFilter filter, int skip, int limit)
    {
        var where = TenantSql.Where(tenant, "r");
        if (filter.Statuses.Count > 0)
            where.And("r.status = ANY(@statuses)", "statuses", filter.Statuses.ToArray());
        if (filter.FlowId is { } flow)
            where.And("r.flow_id = @flow", "flow", flow);
        where.TriggeredBetween("r", filter.From, filter.To);
        if (filter.Tag is { } tag)
            where.And("r.tags @> @tag", "tag", new[] { tag });
        where.Parameters.Add("skip", (long)skip);
        where.Parameters.Add("limit", (long)limit);
        return ($"SELECT {RunColumns} FROM flow_runs r WHERE {where} ORDER BY r.created_date DESC, r.id DESC OFFSET @skip LIMIT @limit", where);
    }
}
