namespace Neena.Persistence.FlowRuns;

/// <summary>A run as the run reads return it; its columns map by name.</summary>
public sealed class FlowRunRow
{
    public Guid Id { get; init; }
    public Guid FlowId { get; init; }
    public Guid FlowRequestId { get; init; }
    public string Status { get; init; } = "";
    public string? ApprovalStatus { get; init; }
    public DateTime? TriggeredTime { get; init; }
    public DateTime? EndTime { get; init; }
    public string? TriggeredBy { get; init; }
    public DateTime? StartTime { get; init; }
    public DateTime CreatedDate { get; init; }
    public DateTime ModifiedDate { get; init; }
    public string[] Tags { get; init; } = [];
    public string RunType { get; init; } = "";
    public string? RanByType { get; init; }
    public Guid? RanById { get; init; }
    public string? CreatedByType { get; init; }
    public Guid? CreatedById { get; init; }
    public int RetryCount { get; init; }
}

/// <summary>
/// A task run as the run reads return it. Its stored JSON is the UTF-8 text PostgreSQL holds, read as bytes so the
/// answer can write it as it is, with no parsing and no string in between.
/// </summary>
public sealed class TaskRunRow
{
    public Guid Id { get; init; }
    public Guid FlowRunId { get; init; }
    public int TaskOperationIndex { get; init; }
    public string Status { get; init; } = "";
    public DateTime? StartTime { get; init; }
    public DateTime? EndTime { get; init; }
    public byte[]? TaskPrepPrompt { get; init; }
    public byte[]? TaskPrepAnswer { get; init; }
    public byte[]? Result { get; init; }
    public string? Error { get; init; }
    public int Attempt { get; init; }
    public string OperationName { get; init; } = "";
    public long PromptTokens { get; init; }
    public long CompletionTokens { get; init; }
    public Guid? IntegrationCredentialId { get; init; }
}

/// <summary>A run with its task runs, by operation index.</summary>
public sealed record FlowRunRecord(FlowRunRow Run, IReadOnlyList<TaskRunRow> Tasks);

/// <summary>The filters of a run list; those that are null (or empty) do not filter.</summary>
public sealed record FlowRunListFilter(
    IReadOnlyList<string> Statuses,
    Guid? FlowId = null,
    DateTime? From = null,
    DateTime? To = null,
    string? Tag = null);
