namespace Neena.Persistence.Analytics;

/// <summary>The filters of a page of a flow's analytics rows; those that are null (or empty) do not filter.</summary>
public sealed record AnalyticsRunsFilter(DateTime? From, DateTime? To, Guid? UserId, IReadOnlyList<string> States, long Skip, long Limit);

/// <summary>The filters of an analytics summary; those that are null do not filter.</summary>
public sealed record AnalyticsSummaryFilter(Guid? FlowId, DateTime? From, DateTime? To);

/// <summary>One run as the analytics rows show it; its columns map by name.</summary>
public sealed class AnalyticsRunRow
{
    public Guid Id { get; init; }
    public Guid FlowRequestId { get; init; }
    /// <summary>When the run was triggered, else created.</summary>
    public DateTime Date { get; init; }
    public string Status { get; init; } = "";
    public string? ApprovalStatus { get; init; }
    public int RetryCount { get; init; }

    /// <summary>A task run of the run is an approval step waiting for an answer (issue 20).</summary>
    public bool AwaitingAnswer { get; init; }
    /// <summary>Seconds from the start (approval, else creation) to the end; null while the run is open.</summary>
    public double? LatencySeconds { get; init; }
    public Guid? RanByUserId { get; init; }
    public string RunType { get; init; } = "";
    public string? RanByType { get; init; }
    public Guid? RanById { get; init; }
    /// <summary>The flow request's instructions.</summary>
    public string? Inputs { get; init; }
    /// <summary>The run's result body.</summary>
    public string? Outputs { get; init; }
    public long TotalTokens { get; init; }
    /// <summary>The error of the failed task, when the run failed.</summary>
    public string? Error { get; init; }
    public string? RanByDisplayName { get; init; }
    /// <summary>The models the run's tasks used, sorted, comma-separated.</summary>
    public string? Llms { get; init; }
}

/// <summary>The runs of one day (UTC) in one state: how many, and their tokens.</summary>
public sealed class AnalyticsDayRow
{
    /// <summary>The day, at midnight UTC.</summary>
    public DateTime Day { get; init; }
    public string Status { get; init; } = "";
    /// <summary>No approval decision yet.</summary>
    public bool Awaiting { get; init; }
    public bool Retried { get; init; }

    /// <summary>A task run of the runs is an approval step waiting for an answer (issue 20).</summary>
    public bool AwaitingAnswer { get; init; }
    public long Runs { get; init; }
    public long PromptTokens { get; init; }
    public long CompletionTokens { get; init; }
}

/// <summary>An analytics summary's rows: per day and state, and the latency percentiles (seconds) of the finished runs.</summary>
public sealed record AnalyticsSummaryRows(IReadOnlyList<AnalyticsDayRow> Days, double? LatencyP50, double? LatencyP95);
