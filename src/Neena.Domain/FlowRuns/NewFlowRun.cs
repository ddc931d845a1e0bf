namespace Neena.Domain.FlowRuns;

/// <summary>
/// A run to create of one of the acting organization's flows for one of its requests: pending, or approved or rejected at
/// once (<see cref="ApprovalStatus"/>).
/// </summary>
public sealed record NewFlowRun(Guid Flow, Guid FlowRequest, string RunType)
{
    /// <summary>Null: the run awaits approval; <see cref="FlowRuns.ApprovalStatus.Approved"/> or <see cref="FlowRuns.ApprovalStatus.Rejected"/>.</summary>
    public string? ApprovalStatus { get; init; }

    /// <summary>Null: now.</summary>
    public DateTime? TriggeredTime { get; init; }

    /// <summary>Null: the acting user's email.</summary>
    public string? TriggeredBy { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];
}
