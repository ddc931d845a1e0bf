using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Neena.Api.Contracts.Analytics;
using Neena.Api.Errors;
using Neena.Domain.FlowRuns;
using Neena.Persistence;
using Neena.Persistence.FlowRuns;
using Npgsql;

namespace Neena.Api.Services;

/// <summary>
/// Run analytics (§9, seed 003) as hand-written SQL: one statement per page of rows and one batch for a summary, whatever
/// the number of runs, on the indexes <c>ix_flow_runs_analytics_flow</c> (organization, flow, triggered time, id) and
/// <c>(organization_id, triggered_time)</c>. The tenant is applied here: <c>org_id</c> must be the caller's organization.
/// </summary>
public sealed class AnalyticsService(NeenaDbContext db)
{
    // The analytics states as SQL conditions on a run row (alias r), from the domain's definitions.
    private static readonly Dictionary<string, string> StateConditions =
        AnalyticsState.Conditions.ToDictionary(c => c.Key, c => RunConditionSql.For(c.Value), StringComparer.Ordinal);

    // Seconds from the start (approval, else creation) to the end, as runs' duration_ms measures it.
    private const string LatencySeconds = "extract(epoch FROM (r.end_time - coalesce(r.start_time, r.created_date)))::float8";

    // An open run's tokens, live from its task runs; a run awaiting approval has none yet (its task runs come with approval).
    private static string OpenRunTokens(string column) =>
        $"CASE WHEN r.approval_status IS NULL THEN 0 ELSE (SELECT sum(t.{column}) FROM task_runs t WHERE t.flow_run_id = r.id) END";

    public async Task<IReadOnlyList<AnalyticsRunResponse>> RunsAsync(Guid organizationId, Guid flowId, AnalyticsRunsQuery query, CancellationToken cancellationToken)
    {
        EnsureOrganization(organizationId);
        // A deleted flow's runs stay readable, as in GET /flow_runs/all_for_flow_id; another organization's flow is not found.
        if (!await db.Flows.IgnoreQueryFilters([NeenaDbContext.SoftDeleteFilter]).AnyAsync(f => f.Id == flowId, cancellationToken))
            throw ApiException.NotFound("Flow not found");

        // The page's ids first, on the index alone (filters, order, offset), then the row details for those ids only:
        // computed before the offset, the per-row subqueries would run for every skipped row too.
        await using var command = new NpgsqlCommand();
        var page = new StringBuilder("SELECT r.id, r.triggered_time FROM flow_runs r WHERE r.organization_id = $1 AND r.flow_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter { Value = flowId });
        if (query.StartDate is { } start)
            Condition(command, page, "r.triggered_time >= ${0}", AsUtc(start));
        if (query.EndDate is { } end)
            Condition(command, page, "r.triggered_time <= ${0}", AsUtc(end));
        if (query.UserId is { } user)
            Condition(command, page, "r.ran_by_user_id = ${0}", user);
        StatesCondition(page, query.States());
        page.Append(" ORDER BY r.triggered_time DESC, r.id DESC");
        Condition(command, page, " OFFSET ${0}", (long)query.Page * query.PageSize, where: false);
        Condition(command, page, " LIMIT ${0}", (long)query.PageSize, where: false);
        command.CommandText = $"""
            WITH page AS MATERIALIZED ({page})
            SELECT r.id, r.flow_request_id, coalesce(r.triggered_time, r.created_date), r.status, r.approval_status, r.retry_count,
                   CASE WHEN r.end_time IS NULL THEN NULL ELSE {LatencySeconds} END,
                   r.ran_by_user_id, r.run_type, r.ran_by_type, r.ran_by_id, q.request_instructions, res.body,
                   coalesce(r.prompt_tokens + r.completion_tokens,
                            (SELECT coalesce(sum(t.prompt_tokens + t.completion_tokens), 0)::bigint FROM task_runs t WHERE t.flow_run_id = r.id)),
                   {RunConditionSql.FailedTaskError()},
                   CASE r.ran_by_type WHEN '{RanByType.User}' THEN (SELECT u.email FROM users u WHERE u.id = r.ran_by_id)
                                      WHEN '{RanByType.ApiKey}' THEN (SELECT k.name FROM api_keys k WHERE k.id = r.ran_by_id) END,
                   (SELECT string_agg(DISTINCT t.model, ', ' ORDER BY t.model) FROM task_runs t WHERE t.flow_run_id = r.id AND t.model IS NOT NULL)
            FROM page
            JOIN flow_runs r ON r.id = page.id
            JOIN flow_requests q ON q.id = r.flow_request_id
            LEFT JOIN flow_results res ON res.flow_run_id = r.id
            ORDER BY page.triggered_time DESC, page.id DESC
            """;

        return await WithConnectionAsync(async connection =>
        {
            command.Connection = connection;
            var rows = new List<AnalyticsRunResponse>(query.PageSize);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                rows.Add(ReadRow(reader));
            return (IReadOnlyList<AnalyticsRunResponse>)rows;
        }, cancellationToken);
    }

    public async Task<AnalyticsSummaryResponse> SummaryAsync(Guid organizationId, AnalyticsSummaryQuery query, CancellationToken cancellationToken)
    {
        EnsureOrganization(organizationId);
        if (query.FlowId is { } flow && !await db.Flows.IgnoreQueryFilters([NeenaDbContext.SoftDeleteFilter]).AnyAsync(f => f.Id == flow, cancellationToken))
            throw ApiException.NotFound("Flow not found");

        var filter = new NpgsqlCommand();
        await using var filterCommand = filter;
        var where = new StringBuilder("r.organization_id = $1");
        filter.Parameters.Add(new NpgsqlParameter { Value = organizationId });
        if (query.FlowId is { } flowId)
            Condition(filter, where, "r.flow_id = ${0}", flowId);
        if (query.StartDate is { } start)
            Condition(filter, where, "r.triggered_time >= ${0}", AsUtc(start));
        if (query.EndDate is { } end)
            Condition(filter, where, "r.triggered_time <= ${0}", AsUtc(end));
        // Per day and state: counts and tokens (an ended run's totals are on its row; only open runs sum their task runs);
        // then the latency percentiles of the finished runs. Two statements, one round trip.
        var perDay = $"""
            SELECT (coalesce(r.triggered_time, r.created_date) AT TIME ZONE 'UTC')::date, r.status, r.approval_status IS NULL, r.retry_count > 0,
                   count(*),
                   coalesce(sum(coalesce(r.prompt_tokens, {OpenRunTokens("prompt_tokens")})), 0)::bigint,
                   coalesce(sum(coalesce(r.completion_tokens, {OpenRunTokens("completion_tokens")})), 0)::bigint
            FROM flow_runs r WHERE {where}
            GROUP BY 1, 2, 3, 4
            ORDER BY 1
            """;
        var latency = $"""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY {LatencySeconds}),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY {LatencySeconds})
            FROM flow_runs r WHERE {where} AND r.end_time IS NOT NULL
            """;

        return await WithConnectionAsync(async connection =>
        {
            await using var batch = new NpgsqlBatch(connection);
            foreach (var text in new[] { perDay, latency })
            {
                var statement = new NpgsqlBatchCommand(text);
                foreach (NpgsqlParameter parameter in filter.Parameters)
                    statement.Parameters.Add(new NpgsqlParameter { Value = parameter.Value });
                batch.BatchCommands.Add(statement);
            }
            var counts = AnalyticsState.All.ToDictionary(s => s, _ => 0L);
            var days = new SortedDictionary<DateOnly, (long Total, long Completed, long Failed, long Cancelled, long Tokens)>();
            long prompt = 0, completion = 0;
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var day = reader.GetFieldValue<DateOnly>(0);
                var status = reader.GetString(1);
                var awaiting = reader.GetBoolean(2);
                var retried = reader.GetBoolean(3);
                var count = reader.GetInt64(4);
                var (p, c) = (reader.GetInt64(5), reader.GetInt64(6));
                counts[AnalyticsState.Of(status, awaiting ? null : ApprovalStatus.Approved, retried ? 1 : 0)] += count;
                prompt += p;
                completion += c;
                var d = days.GetValueOrDefault(day);
                days[day] = (d.Total + count,
                    d.Completed + (status == RunStatus.Completed ? count : 0),
                    d.Failed + (status == RunStatus.Failed ? count : 0),
                    d.Cancelled + (status == RunStatus.Cancelled ? count : 0),
                    d.Tokens + p + c);
            }
            await reader.NextResultAsync(cancellationToken);
            double? p50 = null, p95 = null;
            if (await reader.ReadAsync(cancellationToken))
            {
                p50 = reader.IsDBNull(0) ? null : Math.Round(reader.GetDouble(0), 3);
                p95 = reader.IsDBNull(1) ? null : Math.Round(reader.GetDouble(1), 3);
            }
            var finished = counts[AnalyticsState.Completed] + counts[AnalyticsState.Failed] + counts[AnalyticsState.Cancelled];
            return new AnalyticsSummaryResponse(
                organizationId,
                query.FlowId,
                query.StartDate is { } s ? AsUtc(s) : null,
                query.EndDate is { } e ? AsUtc(e) : null,
                counts.Values.Sum(),
                new AnalyticsStateCounts(counts[AnalyticsState.Pending], counts[AnalyticsState.Paused], counts[AnalyticsState.Resumed],
                    counts[AnalyticsState.Completed], counts[AnalyticsState.Failed], counts[AnalyticsState.Cancelled]),
                finished == 0 ? null : Math.Round((double)counts[AnalyticsState.Completed] / finished, 4),
                p50,
                p95,
                prompt,
                completion,
                prompt + completion,
                days.Select(d => new AnalyticsDayResponse(d.Key.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), d.Value.Total, d.Value.Completed, d.Value.Failed, d.Value.Cancelled, d.Value.Tokens)).ToList());
        }, cancellationToken);
    }

    /// <summary>Another organization's id answers as a missing one: 404.</summary>
    private void EnsureOrganization(Guid organizationId)
    {
        if (db.Tenant.OrganizationId != organizationId)
            throw ApiException.NotFound("Organization not found");
    }

    private static void StatesCondition(StringBuilder sql, IReadOnlyList<string> states)
    {
        if (states.Count == 0 || states.Count == AnalyticsState.All.Count)
            return;
        sql.Append(" AND (").Append(string.Join(" OR ", states.Select(s => StateConditions[s]))).Append(')');
    }

    private static AnalyticsRunResponse ReadRow(DbDataReader r)
    {
        var status = r.GetString(3);
        var approval = r.IsDBNull(4) ? null : r.GetString(4);
        return new AnalyticsRunResponse(
            RunId: r.GetGuid(0),
            ConversationId: r.GetGuid(1).ToString("D"),
            Date: r.GetDateTime(2),
            IsFlowSuccessful: status switch
            {
                RunStatus.Completed => true,
                RunStatus.Failed or RunStatus.Cancelled => false,
                _ => null,
            },
            State: AnalyticsState.Of(status, approval, r.GetInt32(5)),
            Error: r.IsDBNull(14) ? null : r.GetString(14),
            Latency: r.IsDBNull(6) ? null : Math.Round(Math.Max(0, r.GetDouble(6)), 3),
            TotalTokens: r.GetInt64(13),
            UserId: r.IsDBNull(7) ? null : r.GetGuid(7).ToString("D"),
            Inputs: r.IsDBNull(11) ? null : r.GetString(11),
            Outputs: r.IsDBNull(12) ? null : r.GetString(12),
            Llms: r.IsDBNull(16) ? null : r.GetString(16),
            Feedback: null,
            RunType: r.GetString(8),
            RanByType: r.IsDBNull(9) ? null : r.GetString(9),
            RanById: r.IsDBNull(10) ? null : r.GetGuid(10),
            RanByDisplayName: r.IsDBNull(15) ? null : r.GetString(15),
            ParentRunId: null,
            ParentProjectId: null,
            ParentProjectName: null);
    }

    private static void Condition(NpgsqlCommand command, StringBuilder sql, string template, object value, bool where = true)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = value });
        if (where)
            sql.Append(" AND ");
        sql.Append(template.Replace("{0}", command.Parameters.Count.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
    }

    /// <summary>
    /// Runs the read in a read-only transaction without JIT compilation: over 100,000 runs the planner's cost estimates
    /// pass the JIT thresholds, and compiling (over a second of inlining and optimisation) cost far more than the
    /// aggregation it was meant to speed up (a few tens of milliseconds).
    /// </summary>
    private async Task<T> WithConnectionAsync<T>(Func<NpgsqlConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using (var settings = new NpgsqlCommand("SET TRANSACTION READ ONLY; SET LOCAL jit = off", connection))
            await settings.ExecuteNonQueryAsync(cancellationToken);
        var result = await read(connection);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    private static DateTime AsUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };
}
