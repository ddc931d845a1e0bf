using System.Data.Common;

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

/// <summary>
/// Reads the run reads' rows by column name, with the reader's typed getters: the run reads are the hottest statements,
/// and a general mapper reads every value column through <c>GetValue</c> (a boxed object per column and row).
/// </summary>
internal static class FlowRunRowReader
{
    public static async Task<List<FlowRunRow>> RunsAsync(DbDataReader r, CancellationToken cancellationToken)
    {
        int id = r.GetOrdinal("id"), flow = r.GetOrdinal("flow_id"), request = r.GetOrdinal("flow_request_id"), status = r.GetOrdinal("status"),
            approval = r.GetOrdinal("approval_status"), triggered = r.GetOrdinal("triggered_time"), end = r.GetOrdinal("end_time"),
            triggeredBy = r.GetOrdinal("triggered_by"), start = r.GetOrdinal("start_time"), created = r.GetOrdinal("created_date"),
            modified = r.GetOrdinal("modified_date"), tags = r.GetOrdinal("tags"), runType = r.GetOrdinal("run_type"),
            ranByType = r.GetOrdinal("ran_by_type"), ranById = r.GetOrdinal("ran_by_id"), createdByType = r.GetOrdinal("created_by_type"),
            createdById = r.GetOrdinal("created_by_id"), retries = r.GetOrdinal("retry_count");
        var rows = new List<FlowRunRow>();
        while (await r.ReadAsync(cancellationToken))
        {
            rows.Add(new FlowRunRow
            {
                Id = r.GetGuid(id),
                FlowId = r.GetGuid(flow),
                FlowRequestId = r.GetGuid(request),
                Status = r.GetString(status),
                ApprovalStatus = Text(r, approval),
                TriggeredTime = Time(r, triggered),
                EndTime = Time(r, end),
                TriggeredBy = Text(r, triggeredBy),
                StartTime = Time(r, start),
                CreatedDate = r.GetDateTime(created),
                ModifiedDate = r.GetDateTime(modified),
                Tags = r.IsDBNull(tags) ? [] : r.GetFieldValue<string[]>(tags),
                RunType = r.GetString(runType),
                RanByType = Text(r, ranByType),
                RanById = Id(r, ranById),
                CreatedByType = Text(r, createdByType),
                CreatedById = Id(r, createdById),
                RetryCount = r.GetInt32(retries),
            });
        }
        return rows;
    }

    public static async Task<List<TaskRunRow>> TasksAsync(DbDataReader r, CancellationToken cancellationToken)
    {
        int id = r.GetOrdinal("id"), run = r.GetOrdinal("flow_run_id"), index = r.GetOrdinal("task_operation_index"), status = r.GetOrdinal("status"),
            start = r.GetOrdinal("start_time"), end = r.GetOrdinal("end_time"), prompt = r.GetOrdinal("task_prep_prompt"),
            answer = r.GetOrdinal("task_prep_answer"), result = r.GetOrdinal("result"), error = r.GetOrdinal("error"), attempt = r.GetOrdinal("attempt"),
            name = r.GetOrdinal("operation_name"), promptTokens = r.GetOrdinal("prompt_tokens"), completionTokens = r.GetOrdinal("completion_tokens"),
            credential = r.GetOrdinal("integration_credential_id");
        var rows = new List<TaskRunRow>();
        while (await r.ReadAsync(cancellationToken))
        {
            rows.Add(new TaskRunRow
            {
                Id = r.GetGuid(id),
                FlowRunId = r.GetGuid(run),
                TaskOperationIndex = r.GetInt32(index),
                Status = r.GetString(status),
                StartTime = Time(r, start),
                EndTime = Time(r, end),
                TaskPrepPrompt = Bytes(r, prompt),
                TaskPrepAnswer = Bytes(r, answer),
                Result = Bytes(r, result),
                Error = Text(r, error),
                Attempt = r.GetInt32(attempt),
                OperationName = r.GetString(name),
                PromptTokens = r.GetInt64(promptTokens),
                CompletionTokens = r.GetInt64(completionTokens),
                IntegrationCredentialId = Id(r, credential),
            });
        }
        return rows;
    }

    private static string? Text(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static DateTime? Time(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDateTime(i);

    private static Guid? Id(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetGuid(i);

    private static byte[]? Bytes(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<byte[]>(i);
}
