using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Neena.Domain.FlowRuns;
using Neena.Persistence.FlowRuns;
using Neena.Persistence.Sql;

namespace Neena.Persistence.Analytics;

/// <summary>
/// Run analytics (§9, seed 003): one statement per page of rows and one round trip for a summary, whatever the number of
/// runs, on the indexes <c>ix_flow_runs_analytics_flow</c> (organization, flow, triggered time, id) and
/// <c>(organization_id, triggered_time)</c>.
/// </summary>
public sealed class AnalyticsQueries(NeenaDbContext db)
{
    // The analytics states as SQL conditions on a run row (alias r), from the domain's definitions.
    private static readonly Dictionary<string, string> StateConditions =
        AnalyticsState.Conditions.ToDictionary(c => c.Key, c => RunConditionSql.For(c.Value), StringComparer.Ordinal);

    // Only an open run can wait at an approval step: ended ones skip the look-up of their task runs.
    private static readonly string AwaitingAnswer = $"({RunConditionSql.For(RunConditions.Open)} AND {RunConditionSql.AwaitingAnswer()})";

    // Seconds from the start (approval, else creation) to the end, as runs' duration_ms measures it.
    private const string LatencySeconds = "extract(epoch FROM (r.end_time - coalesce(r.start_time, r.created_date)))::float8";

    // An open run's tokens, live from its task runs; a run awaiting approval has none yet (its task runs come with approval).
    private static string OpenRunTokens(string column) =>
        $"CASE WHEN r.approval_status IS NULL THEN 0 ELSE (SELECT sum(t.{column}) FROM task_runs t WHERE t.flow_run_id = r.id) END";

    /// <summary>A page of the tenant's runs of one flow, newest first (then by id).</summary>
    public async Task<IReadOnlyList<AnalyticsRunRow>> RunsAsync(Tenant tenant, Guid flowId, AnalyticsRunsFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        // The page's ids first, on the index alone (filters, order, offset), then the row details for those ids only:
        // computed before the offset, the per-row subqueries would run for every skipped row too.
        var where = TenantSql.Where(tenant, "r").And("r.flow_id = @flow", "flow", flowId);
        where.TriggeredBetween("r", filter.From, filter.To);
        if (filter.UserId is { } user)
            where.And("r.ran_by_user_id = @user", "user", user);
        if (filter.States.Count > 0 && filter.States.Count < AnalyticsState.All.Count)
            where.And($"({string.Join(" OR ", filter.States.Select(s => StateConditions[s]))})");
        where.Parameters.Add("skip", filter.Skip);
        where.Parameters.Add("limit", filter.Limit);
        var sql = $"""
            WITH page AS MATERIALIZED (
                SELECT r.id, r.triggered_time FROM flow_runs r WHERE {where}
                ORDER BY r.triggered_time DESC, r.id DESC OFFSET @skip LIMIT @limit)
            SELECT r.id, r.flow_request_id, coalesce(r.triggered_time, r.created_date) AS date, r.status, r.approval_status, r.retry_count,
                   {AwaitingAnswer} AS awaiting_answer,
                   CASE WHEN r.end_time IS NULL THEN NULL ELSE {LatencySeconds} END AS latency_seconds,
                   r.ran_by_user_id, r.run_type, r.ran_by_type, r.ran_by_id, q.request_instructions AS inputs, res.body AS outputs,
                   coalesce(r.prompt_tokens + r.completion_tokens,
                            (SELECT coalesce(sum(t.prompt_tokens + t.completion_tokens), 0)::bigint FROM task_runs t WHERE t.flow_run_id = r.id)) AS total_tokens,
                   {RunConditionSql.FailedTaskError()} AS error,
                   CASE r.ran_by_type WHEN '{RanByType.User}' THEN (SELECT u.email FROM users u WHERE u.id = r.ran_by_id)
                                      WHEN '{RanByType.ApiKey}' THEN (SELECT k.name FROM api_keys k WHERE k.id = r.ran_by_id) END AS ran_by_display_name,
                   (SELECT string_agg(DISTINCT t.model, ', ' ORDER BY t.model) FROM task_runs t WHERE t.flow_run_id = r.id AND t.model IS NOT NULL) AS llms
            FROM page
            JOIN flow_runs r ON r.id = page.id
            JOIN flow_requests q ON q.id = r.flow_request_id
            LEFT JOIN flow_results res ON res.flow_run_id = r.id
            ORDER BY page.triggered_time DESC, page.id DESC
            """;
        return await ReadOnlyAsync(async (connection, transaction) =>
            (IReadOnlyList<AnalyticsRunRow>)(await connection.QueryAsync<AnalyticsRunRow>(
                new CommandDefinition(sql, where.Parameters, transaction, cancellationToken: cancellationToken))).AsList(), cancellationToken);
    }

    /// <summary>
    /// Per day and state: counts and tokens (an ended run's totals are on its row; only open runs sum their task runs);
    /// then the latency percentiles of the finished runs. Two statements, one round trip.
    /// </summary>
    public async Task<AnalyticsSummaryRows> SummaryAsync(Tenant tenant, AnalyticsSummaryFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var where = TenantSql.Where(tenant, "r");
        if (filter.FlowId is { } flowId)
            where.And("r.flow_id = @flow", "flow", flowId);
        where.TriggeredBetween("r", filter.From, filter.To);
        var sql = $"""
            SELECT (coalesce(r.triggered_time, r.created_date) AT TIME ZONE 'UTC')::date AS day, r.status,
                   r.approval_status IS NULL AS awaiting, r.retry_count > 0 AS retried, {AwaitingAnswer} AS awaiting_answer,
                   count(*) AS runs,
                   coalesce(sum(coalesce(r.prompt_tokens, {OpenRunTokens("prompt_tokens")})), 0)::bigint AS prompt_tokens,
                   coalesce(sum(coalesce(r.completion_tokens, {OpenRunTokens("completion_tokens")})), 0)::bigint AS completion_tokens
            FROM flow_runs r WHERE {where}
            GROUP BY 1, 2, 3, 4, 5
            ORDER BY 1;
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY {LatencySeconds}) AS p50,
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY {LatencySeconds}) AS p95
            FROM flow_runs r WHERE {where} AND r.end_time IS NOT NULL
            """;
        return await ReadOnlyAsync(async (connection, transaction) =>
        {
            await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, where.Parameters, transaction, cancellationToken: cancellationToken));
            var days = (await results.ReadAsync<AnalyticsDayRow>()).AsList();
            var latency = await results.ReadSingleOrDefaultAsync<LatencyRow>();
            return new AnalyticsSummaryRows(days, latency?.P50, latency?.P95);
        }, cancellationToken);
    }

    /// <summary>
    /// Runs the read in a read-only transaction without JIT compilation: over 100,000 runs the planner's cost estimates
    /// pass the JIT thresholds, and compiling (over a second of inlining and optimisation) cost far more than the
    /// aggregation it was meant to speed up (a few tens of milliseconds).
    /// </summary>
    private async Task<T> ReadOnlyAsync<T>(Func<System.Data.Common.DbConnection, System.Data.Common.DbTransaction, Task<T>> read, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var connection = db.Database.GetDbConnection();
        var dbTransaction = transaction.GetDbTransaction();
        await connection.ExecuteAsync(new CommandDefinition("SET TRANSACTION READ ONLY; SET LOCAL jit = off", transaction: dbTransaction, cancellationToken: cancellationToken));
        var result = await read(connection, dbTransaction);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    private sealed class LatencyRow
    {
        public double? P50 { get; init; }
        public double? P95 { get; init; }
    }
}
