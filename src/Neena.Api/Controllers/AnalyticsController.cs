using Microsoft.AspNetCore.Mvc;
using Neena.Api.Contracts.Analytics;
using Neena.Api.Errors;
using Neena.Api.Services;

namespace Neena.Api.Controllers;

/// <summary>Run analytics (seed 003): rows for analysis with paging and filters, and a summary of an organization's runs.</summary>
[ApiController]
[Route("analytics/org/{org_id:guid}")]
[Produces("application/json")]
public sealed class AnalyticsController(AnalyticsService analytics) : ControllerBase
{
    /// <summary>List flow run logs matching the given filters: one flow's runs, newest first (by triggered time, then id).</summary>
    /// <param name="organizationId">Your organization's id (another organization's answers 404).</param>
    /// <param name="flowId">The flow (of your organization; a deleted flow's runs stay listed).</param>
    [HttpGet("flows/{flow_id:guid}")]
    [ProducesResponseType<IReadOnlyList<AnalyticsRunResponse>>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound, Description = "`org_id` is not your organization, or `flow_id` not a flow of it.")]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task<IReadOnlyList<AnalyticsRunResponse>> Runs(
        [FromRoute(Name = "org_id")] Guid organizationId, [FromRoute(Name = "flow_id")] Guid flowId, [FromQuery] AnalyticsRunsQuery query, CancellationToken cancellationToken) =>
        analytics.RunsAsync(organizationId, flowId, query, cancellationToken);

    /// <summary>Counts per state, success rate, latency p50/p95, tokens and a per-day series of the organization's runs (or one flow's).</summary>
    /// <param name="organizationId">Your organization's id (another organization's answers 404).</param>
    [HttpGet("summary")]
    [ProducesResponseType<AnalyticsSummaryResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound, Description = "`org_id` is not your organization, or `flow_id` not a flow of it.")]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task<AnalyticsSummaryResponse> Summary([FromRoute(Name = "org_id")] Guid organizationId, [FromQuery] AnalyticsSummaryQuery query, CancellationToken cancellationToken) =>
        analytics.SummaryAsync(organizationId, query, cancellationToken);
}
