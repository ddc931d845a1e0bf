using System.Data.Common;

using Neena.Persistence.Sql;

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

    /// <summary>A for_each task run's items as a JSON array of <c>{index, status, result, error, attempt}</c>; null for other task runs.</summary>
    public byte[]? Items { get; init; }

    /// <summary>The operation's <c>continue_on_failure</c>, copied at approval: a failure of this task run is tolerated.</summary>
    public bool ContinueOnFailure { get; init; }
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

/// <summary>The run reads' rows, their columns read by name (<see cref="ColumnRow"/>).</summary>
internal static class FlowRunRowReader
{
    public static async Task<List<FlowRunRow>> RunsAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        var rows = new List<FlowRunRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var r = new ColumnRow(reader);
            rows.Add(new FlowRunRow
            {
                Id = r.Uuid("id"),
                FlowId = r.Uuid("flow_id"),
                FlowRequestId = r.Uuid("flow_request_id"),
                Status = r.Text("status"),
                ApprovalStatus = r.StringOrNull("approval_status"),
                TriggeredTime = r.OrNull<DateTime>("triggered_time"),
                EndTime = r.OrNull<DateTime>("end_time"),
                TriggeredBy = r.StringOrNull("triggered_by"),
                StartTime = r.OrNull<DateTime>("start_time"),
                CreatedDate = r.Get<DateTime>("created_date"),
                ModifiedDate = r.Get<DateTime>("modified_date"),
                Tags = r.RefOrNull<string[]>("tags") ?? [],
                RunType = r.Text("run_type"),
                RanByType = r.StringOrNull("ran_by_type"),
                RanById = r.OrNull<Guid>("ran_by_id"),
                CreatedByType = r.StringOrNull("created_by_type"),
                CreatedById = r.OrNull<Guid>("created_by_id"),
                RetryCount = r.Get<int>("retry_count"),
            });
        }
        return rows;
    }

    public static async Task<List<TaskRunRow>> TasksAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        var rows = new List<TaskRunRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var r = new ColumnRow(reader);
            rows.Add(new TaskRunRow
            {
                Id = r.Uuid("id"),
                FlowRunId = r.Uuid("flow_run_id"),
                TaskOperationIndex = r.Get<int>("task_operation_index"),
                Status = r.Text("status"),
                StartTime = r.OrNull<DateTime>("start_time"),
                EndTime = r.OrNull<DateTime>("end_time"),
                TaskPrepPrompt = r.RefOrNull<byte[]>("task_prep_prompt"),
                TaskPrepAnswer = r.RefOrNull<byte[]>("task_prep_answer"),
                Result = r.RefOrNull<byte[]>("result"),
                Error = r.StringOrNull("error"),
                Attempt = r.Get<int>("attempt"),
                OperationName = r.Text("operation_name"),
                PromptTokens = r.Get<long>("prompt_tokens"),
                CompletionTokens = r.Get<long>("completion_tokens"),
                IntegrationCredentialId = r.OrNull<Guid>("integration_credential_id"),
                Items = r.RefOrNull<byte[]>("items"),
                ContinueOnFailure = r.Get<bool>("continue_on_failure"),
            });
        }
        return rows;
    }
}
