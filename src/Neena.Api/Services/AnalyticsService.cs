using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Neena.Api.Contracts.Analytics;
using Neena.Api.Errors;
using Neena.Domain.Common;
using Neena.Domain.FlowRuns;
using Neena.Persistence;
using Neena.Persistence.Analytics;
using Neena.Persistence.Sql;

namespace Neena.Api.Services;

/// <summary>
/// Run analytics (§9, seed 003): the answers, built from what <see cref="AnalyticsQueries"/> reads. The organization in
/// the path must be the caller's.
/// </summary>
public sealed class AnalyticsService(NeenaDbContext db)
{
    public async Task<IReadOnlyList<AnalyticsRunResponse>> RunsAsync(Guid organizationId, Guid flowId, AnalyticsRunsQuery query, CancellationToken cancellationToken)
    {
        var tenant = EnsureOrganization(organizationId);
        // A deleted flow's runs stay readable, as in GET /flow_runs/all_for_flow_id; another organization's flow is not found.
        if (!await db.Flows.IgnoreQueryFilters([NeenaDbContext.SoftDeleteFilter]).AnyAsync(f => f.Id == flowId, cancellationToken))
            throw ApiException.NotFound("Flow not found");
        var filter = new AnalyticsRunsFilter(
            query.StartDate is { } start ? UtcTime.AsUtc(start) : null,
            query.EndDate is { } end ? UtcTime.AsUtc(end) : null,
            query.UserId,
            query.States(),
            (long)query.Page * query.PageSize,
            query.PageSize);
        var rows = await new AnalyticsQueries(db).RunsAsync(tenant, flowId, filter, cancellationToken);
        return rows.Select(Row).ToList();
    }

    public async Task<AnalyticsSummaryResponse> SummaryAsync(Guid organizationId, AnalyticsSummaryQuery query, CancellationToken cancellationToken)
    {
        var tenant = EnsureOrganization(organizationId);
        if (query.FlowId is { } flow && !await db.Flows.IgnoreQueryFilters([NeenaDbContext.SoftDeleteFilter]).AnyAsync(f => f.Id == flow, cancellationToken))
            throw ApiException.NotFound("Flow not found");
        DateTime? from = query.StartDate is { } start ? UtcTime.AsUtc(start) : null;
        DateTime? to = query.EndDate is { } end ? UtcTime.AsUtc(end) : null;
        var summary = await new AnalyticsQueries(db).SummaryAsync(tenant, new AnalyticsSummaryFilter(query.FlowId, from, to), cancellationToken);

        var counts = AnalyticsState.All.ToDictionary(s => s, _ => 0L);
        var days = new SortedDictionary<DateOnly, (long Total, long Completed, long Failed, long Cancelled, long Tokens)>();
        long prompt = 0, completion = 0;
        foreach (var row in summary.Days)
        {
            var day = DateOnly.FromDateTime(row.Day);
            var count = row.Runs;
            counts[AnalyticsState.Of(row.Status, row.Awaiting ? null : ApprovalStatus.Approved, row.Retried ? 1 : 0, row.AwaitingAnswer)] += count;
            prompt += row.PromptTokens;
            completion += row.CompletionTokens;
            var d = days.GetValueOrDefault(day);
            days[day] = (d.Total + count,
                d.Completed + (row.Status == RunStatus.Completed ? count : 0),
                d.Failed + (row.Status == RunStatus.Failed ? count : 0),
                d.Cancelled + (row.Status == RunStatus.Cancelled ? count : 0),
                d.Tokens + row.PromptTokens + row.CompletionTokens);
        }
        var finished = counts[AnalyticsState.Completed] + counts[AnalyticsState.Failed] + counts[AnalyticsState.Cancelled];
        return new AnalyticsSummaryResponse(
            organizationId,
            query.FlowId,
            from,
            to,
            counts.Values.Sum(),
            new AnalyticsStateCounts(counts[AnalyticsState.Pending], counts[AnalyticsState.Paused], counts[AnalyticsState.Resumed],
                counts[AnalyticsState.Completed], counts[AnalyticsState.Failed], counts[AnalyticsState.Cancelled]),
            finished == 0 ? null : Math.Round((double)counts[AnalyticsState.Completed] / finished, 4),
            summary.LatencyP50 is { } p50 ? Math.Round(p50, 3) : null,
            summary.LatencyP95 is { } p95 ? Math.Round(p95, 3) : null,
            prompt,
            completion,
            prompt + completion,
            days.Select(d => new AnalyticsDayResponse(d.Key.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), d.Value.Total, d.Value.Completed, d.Value.Failed, d.Value.Cancelled, d.Value.Tokens)).ToList());
    }

    /// <summary>Another organization's id answers as a missing one: 404.</summary>
    private Tenant EnsureOrganization(Guid organizationId)
    {
        if (db.Tenant.OrganizationId != organizationId)
            throw ApiException.NotFound("Organization not found");
        return new Tenant(organizationId);
    }

    private static AnalyticsRunResponse Row(AnalyticsRunRow r) => new(
        RunId: r.Id,
        ConversationId: r.FlowRequestId.ToString("D"),
        Date: r.Date,
        IsFlowSuccessful: r.Status switch
        {
            RunStatus.Completed => true,
            RunStatus.Failed or RunStatus.Cancelled => false,
            _ => null,
        },
        State: AnalyticsState.Of(r.Status, r.ApprovalStatus, r.RetryCount, r.AwaitingAnswer),
        Error: r.Error,
        Latency: r.LatencySeconds is { } seconds ? Math.Round(Math.Max(0, seconds), 3) : null,
        TotalTokens: r.TotalTokens,
        UserId: r.RanByUserId?.ToString("D"),
        Inputs: r.Inputs,
        Outputs: r.Outputs,
        Llms: r.Llms,
        Feedback: null,
        RunType: r.RunType,
        RanByType: r.RanByType,
        RanById: r.RanById,
        RanByDisplayName: r.RanByDisplayName,
        ParentRunId: null,
        ParentProjectId: null,
        ParentProjectName: null);
}
