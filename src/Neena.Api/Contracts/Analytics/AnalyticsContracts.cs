using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Neena.Api.Contracts.Common;
using Neena.Domain.FlowRuns;

namespace Neena.Api.Contracts.Analytics;

/// <summary>The filters and page of <c>GET /analytics/org/{org_id}/flows/{flow_id}</c>.</summary>
public sealed record AnalyticsRunsQuery
{
    /// <summary>The page, from 0.</summary>
    [FromQuery(Name = "page")]
    public int Page { get; init; }

    /// <summary>Rows per page (1…1000).</summary>
    [FromQuery(Name = "page_size")]
    public int PageSize { get; init; } = 25;

    /// <summary>Runs triggered at or after this time (UTC when no offset is given).</summary>
    [FromQuery(Name = "start_date")]
    public DateTime? StartDate { get; init; }

    /// <summary>Runs triggered at or before this time.</summary>
    [FromQuery(Name = "end_date")]
    public DateTime? EndDate { get; init; }

    /// <summary>Runs this user ran (approved, or created when created approved), with a JWT or with one of their API keys.</summary>
    [FromQuery(Name = "user_id")]
    public Guid? UserId { get; init; }

    /// <summary>Comma-separated states: <c>PENDING, PAUSED, RESUMED, COMPLETED, FAILED, CANCELLED</c>.</summary>
    [FromQuery(Name = "state")]
    public string? State { get; init; }

    public IReadOnlyList<string> States() =>
        State is null ? [] : State.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToUpperInvariant()).Distinct().ToList();
}

public sealed class AnalyticsRunsQueryValidator : AbstractValidator<AnalyticsRunsQuery>
{
    public AnalyticsRunsQueryValidator()
    {
        RuleFor(q => q.Page).GreaterThanOrEqualTo(0).LessThanOrEqualTo(1_000_000);
        RuleFor(q => q.PageSize).InclusiveBetween(1, 1000);
        RuleFor(q => q.State).MaximumLength(200)
            .Must((q, _) => q.States().All(s => AnalyticsState.All.Contains(s)))
            .WithMessage($"unexpected value; permitted: {string.Join(", ", AnalyticsState.All.Select(s => $"'{s}'"))}");
        RuleFor(q => q.EndDate).Must((q, end) => end is null || q.StartDate is null || end >= q.StartDate)
            .WithMessage("end_date must not be before start_date");
    }
}

/// <summary>The filters of <c>GET /analytics/org/{org_id}/summary</c>.</summary>
public sealed record AnalyticsSummaryQuery
{
    /// <summary>Runs triggered at or after this time (UTC when no offset is given).</summary>
    [FromQuery(Name = "start_date")]
    public DateTime? StartDate { get; init; }

    /// <summary>Runs triggered at or before this time.</summary>
    [FromQuery(Name = "end_date")]
    public DateTime? EndDate { get; init; }

    /// <summary>Only the runs of this flow (of your organization).</summary>
    [FromQuery(Name = "flow_id")]
    public Guid? FlowId { get; init; }
}

public sealed class AnalyticsSummaryQueryValidator : AbstractValidator<AnalyticsSummaryQuery>
{
    public AnalyticsSummaryQueryValidator()
    {
        RuleFor(q => q.EndDate).Must((q, end) => end is null || q.StartDate is null || end >= q.StartDate)
            .WithMessage("end_date must not be before start_date");
    }
}

/// <summary>Summary of a single workflow run (seed 003's row).</summary>
/// <param name="RunId">The flow run's id.</param>
/// <param name="ConversationId">The flow request the run served.</param>
/// <param name="Date">When the run was triggered.</param>
/// <param name="IsFlowSuccessful">True when completed, false when failed or cancelled, null while unfinished.</param>
/// <param name="State"><c>PAUSED</c> (awaiting approval), <c>PENDING</c> (approved, unfinished), <c>RESUMED</c> (unfinished after a retry), <c>COMPLETED</c>, <c>FAILED</c> or <c>CANCELLED</c>.</param>
/// <param name="Error">The error of the failed task of a failed run; else null.</param>
/// <param name="Latency">Seconds from the run's start (approval; its creation if it ended without starting) to its end; null while unfinished.</param>
/// <param name="TotalTokens">Language model tokens of all its task runs.</param>
/// <param name="UserId">The user who ran it (with a JWT or one of their API keys); null for a webhook's run.</param>
/// <param name="Inputs">The flow request's instructions.</param>
/// <param name="Outputs">The flow result's body (a JSON document in a string); null until the run has ended.</param>
/// <param name="Llms">The language models that prepared the run's tasks, comma-separated (as the model endpoint named them); null when no model was asked.</param>
/// <param name="Feedback">Always null: runs take no feedback.</param>
/// <param name="RunType">How the run was created: <c>manual</c>, <c>api</c>, <c>webhook</c> or <c>schedule</c>.</param>
/// <param name="RanByType"><c>user</c> or <c>api_key</c>: the credential that ran it.</param>
/// <param name="RanById">The user id or API key id that ran it.</param>
/// <param name="RanByDisplayName">That user's email, or that API key's name.</param>
/// <param name="ParentRunId">Always null: runs have no sub-flow runs.</param>
/// <param name="ParentProjectId">Always null.</param>
/// <param name="ParentProjectName">Always null.</param>
[OutputSchema("AnalyticsRun")]
public sealed record AnalyticsRunResponse(
    Guid RunId,
    string? ConversationId,
    DateTime Date,
    bool? IsFlowSuccessful,
    [property: ApiField(ValuesOf = typeof(AnalyticsState))] string State,
    string? Error,
    double? Latency,
    long TotalTokens,
    string? UserId,
    string? Inputs,
    string? Outputs,
    string? Llms,
    string? Feedback,
    [property: ApiField(ValuesOf = typeof(RunType))] string? RunType,
    [property: ApiField(ValuesOf = typeof(RanByType))] string? RanByType,
    Guid? RanById,
    string? RanByDisplayName,
    Guid? ParentRunId,
    string? ParentProjectId,
    string? ParentProjectName);

/// <summary>Runs per state, as in analytics.</summary>
[OutputSchema("AnalyticsStateCounts")]
public sealed record AnalyticsStateCounts(
    [property: System.Text.Json.Serialization.JsonPropertyName("PENDING")] long Pending,
    [property: System.Text.Json.Serialization.JsonPropertyName("PAUSED")] long Paused,
    [property: System.Text.Json.Serialization.JsonPropertyName("RESUMED")] long Resumed,
    [property: System.Text.Json.Serialization.JsonPropertyName("COMPLETED")] long Completed,
    [property: System.Text.Json.Serialization.JsonPropertyName("FAILED")] long Failed,
    [property: System.Text.Json.Serialization.JsonPropertyName("CANCELLED")] long Cancelled);

/// <param name="Date">The UTC day (<c>YYYY-MM-DD</c>) the runs were triggered on.</param>
/// <param name="TotalRuns">Runs triggered that day.</param>
/// <param name="Completed">Of them, completed.</param>
/// <param name="Failed">Of them, failed.</param>
/// <param name="Cancelled">Of them, cancelled.</param>
/// <param name="TotalTokens">Their language model tokens.</param>
[OutputSchema("AnalyticsDay")]
public sealed record AnalyticsDayResponse(string Date, long TotalRuns, long Completed, long Failed, long Cancelled, long TotalTokens);

/// <param name="OrganizationId">The organization.</param>
/// <param name="FlowId">The flow the summary is restricted to, or null for all of the organization's runs.</param>
/// <param name="StartDate">The filter as given.</param>
/// <param name="EndDate">The filter as given.</param>
/// <param name="TotalRuns">Runs triggered in the period.</param>
/// <param name="Counts">Runs per analytics state.</param>
/// <param name="SuccessRate">Completed runs over finished ones (completed, failed, cancelled), 0…1; null when none has finished.</param>
/// <param name="LatencyP50">Median latency of the finished runs, in seconds; null when none has finished.</param>
/// <param name="LatencyP95">95th percentile latency of the finished runs, in seconds.</param>
/// <param name="PromptTokens">Tokens sent to the language model.</param>
/// <param name="CompletionTokens">Tokens the language model answered.</param>
/// <param name="TotalTokens">Both together.</param>
/// <param name="Series">One entry per UTC day that has runs, oldest first.</param>
[OutputSchema("AnalyticsSummary")]
public sealed record AnalyticsSummaryResponse(
    Guid OrganizationId,
    Guid? FlowId,
    DateTime? StartDate,
    DateTime? EndDate,
    long TotalRuns,
    AnalyticsStateCounts Counts,
    double? SuccessRate,
    double? LatencyP50,
    double? LatencyP95,
    long PromptTokens,
    long CompletionTokens,
    long TotalTokens,
    IReadOnlyList<AnalyticsDayResponse> Series);
