using System.Buffers;
using System.Data.Common;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.FlowRuns;
using Neena.Domain.FlowRuns;
using Neena.Persistence.FlowRuns;

namespace Neena.Api.Services;

/// <summary>
/// Writes the JSON of <see cref="FlowRunResponse"/> (the shape the serializer gives it, field for field and byte for
/// byte) straight from the database rows to a <see cref="PipeWriter"/>: stored JSON goes from the reader into a pooled
/// buffer and on into the response as it is, and nothing of a task run outlives its row. A list of 100 runs used to hold
/// every value as a byte array and every run as objects until the last byte was written (issue 23).
/// </summary>
internal sealed class FlowRunJsonWriter(PipeWriter pipe, JsonSerializerOptions options) : IDisposable
{
    // Written to the pipe in pieces of about this size, so that the answer's memory is the pipe's few pooled blocks.
    internal const int FlushThreshold = 64 * 1024;

    private static readonly JsonEncodedText Flow = Name("flow"), FlowRequest = Name("flow_request"), Status = Name("status"),
        ApprovalStatus = Name("approval_status"), TriggeredTime = Name("triggered_time"), EndTime = Name("end_time"),
        TriggeredBy = Name("triggered_by"), Id = Name("id"), TaskRuns = Name("task_runs"), StartTime = Name("start_time"),
        CreatedDate = Name("created_date"), ModifiedDate = Name("modified_date"), TotalTokens = Name("total_tokens"),
        DurationMs = Name("duration_ms"), FailedTask = Name("failed_task"), Tags = Name("tags"), RunType = Name("run_type"),
        RanByType = Name("ran_by_type"), RanById = Name("ran_by_id"), CreatedByType = Name("created_by_type"),
        CreatedById = Name("created_by_id"), RetryCount = Name("retry_count"), Index = Name("index"), NameField = Name("name"),
        Error = Name("error"), FlowRun = Name("flow_run"), TaskOperationIndex = Name("task_operation_index"),
        TaskPrepPrompt = Name("task_prep_prompt"), TaskPrepAnswer = Name("task_prep_answer"), Result = Name("result"),
        Attempt = Name("attempt"), OperationName = Name("operation_name"), PromptTokens = Name("prompt_tokens"),
        CompletionTokens = Name("completion_tokens"), IntegrationCredential = Name("integration_credential"), Items = Name("items");

    private readonly Utf8JsonWriter _writer = new(pipe, new JsonWriterOptions { Encoder = options.Encoder, MaxDepth = options.MaxDepth, SkipValidation = true });
    private static readonly (byte[] Utf8, string Text)[] KnownStatuses = [.. TaskRunStatus.All.Select(s => (Encoding.UTF8.GetBytes(s), s))];

    private readonly List<FailedCandidate> _failed = [];
    private byte[] _scratch = new byte[256];

    // What the pipe had been given at the last flush. The writer hands the pipe each block it fills (its BytesPending only
    // counts the current block's bytes), so what is not yet flushed is everything it wrote since.
    private long _flushed;

    /// <summary>A JSON array of the runs, each with its task runs from <paramref name="tasks"/> (in the runs' order).</summary>
    public async Task WriteListAsync(IReadOnlyList<FlowRunRow> runs, DbDataReader? tasks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runs);
        _writer.WriteStartArray();
        await WriteRunsAsync(runs, tasks, cancellationToken);
        _writer.WriteEndArray();
        await FlushAsync(cancellationToken);
    }

    /// <summary>One run as a JSON object, its task runs from <paramref name="tasks"/>.</summary>
    public async Task WriteOneAsync(FlowRunRow run, DbDataReader tasks, CancellationToken cancellationToken)
    {
        await WriteRunsAsync([run], tasks, cancellationToken);
        await FlushAsync(cancellationToken);
    }

    public void Dispose() => _writer.Dispose();

    private async Task WriteRunsAsync(IReadOnlyList<FlowRunRow> runs, DbDataReader? tasks, CancellationToken cancellationToken)
    {
        var row = await TaskRowCursor.StartAsync(tasks, cancellationToken);
        foreach (var r in runs)
        {
            var w = _writer;
            w.WriteStartObject();
            w.WriteString(Flow, r.FlowId);
            w.WriteString(FlowRequest, r.FlowRequestId);
            w.WriteString(Status, r.Status);
            StringOrNull(ApprovalStatus, r.ApprovalStatus);
            Time(TriggeredTime, r.TriggeredTime);
            Time(EndTime, r.EndTime);
            StringOrNull(TriggeredBy, r.TriggeredBy);
            w.WriteString(Id, r.Id);
            w.WritePropertyName(TaskRuns);
            w.WriteStartArray();
            long tokens = 0;
            _failed.Clear();
            while (row.OnRun(r.Id))
            {
                tokens += WriteTask(row);
                if (Unflushed >= FlushThreshold)
                    await FlushAsync(cancellationToken);
                await row.NextAsync(cancellationToken);
            }
            w.WriteEndArray();
            Time(StartTime, r.StartTime);
            Time(CreatedDate, r.CreatedDate);
            Time(ModifiedDate, r.ModifiedDate);
            w.WriteNumber(TotalTokens, tokens);
            NumberOrNull(DurationMs, r.EndTime is { } end ? Milliseconds(r.StartTime ?? r.CreatedDate, end) : null);
            w.WritePropertyName(FailedTask);
            if (TaskRunConditions.FailedTaskOf(r.Status, _failed, t => t.Status, t => t.Tolerated) is { } failed)
            {
                w.WriteStartObject();
                w.WriteNumber(Index, failed.Index);
                w.WriteString(NameField, failed.Name);
                StringOrNull(Error, failed.Error);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNullValue();
            }
            w.WritePropertyName(Tags);
            w.WriteStartArray();
            foreach (var tag in r.Tags)
                w.WriteStringValue(tag);
            w.WriteEndArray();
            w.WriteString(RunType, r.RunType);
            StringOrNull(RanByType, r.RanByType);
            GuidOrNull(RanById, r.RanById);
            StringOrNull(CreatedByType, r.CreatedByType);
            GuidOrNull(CreatedById, r.CreatedById);
            w.WriteNumber(RetryCount, r.RetryCount);
            w.WriteEndObject();
            if (Unflushed >= FlushThreshold)
                await FlushAsync(cancellationToken);
        }
    }

    /// <summary>The task run the cursor stands on, its columns read in order; returns its tokens.</summary>
    private long WriteTask(TaskRowCursor row)
    {
        var w = _writer;
        var t = row.Reader;
        w.WriteStartObject();
        w.WriteString(Id, row.Id);
        w.WriteString(FlowRun, row.RunId);
        var index = t.GetInt32(2);
        w.WriteNumber(TaskOperationIndex, index);
        var status = StatusOf(Utf8(t, 3));
        w.WriteString(Status, status);
        DateTime? start = t.IsDBNull(4) ? null : t.GetDateTime(4);
        DateTime? end = t.IsDBNull(5) ? null : t.GetDateTime(5);
        Time(StartTime, start);
        Time(EndTime, end);
        Stored(TaskPrepPrompt, t, 6);
        Stored(TaskPrepAnswer, t, 7);
        Stored(Result, t, 8);
        var error = t.IsDBNull(9) ? null : t.GetString(9);
        StringOrNull(Error, error);
        w.WriteNumber(Attempt, t.GetInt32(10));
        var name = Utf8(t, 11);
        w.WriteString(OperationName, name.Span);
        var prompt = t.GetInt64(12);
        var completion = t.GetInt64(13);
        w.WriteNumber(PromptTokens, prompt);
        w.WriteNumber(CompletionTokens, completion);
        GuidOrNull(IntegrationCredential, t.IsDBNull(14) ? null : t.GetGuid(14));
        NumberOrNull(DurationMs, start is { } s && end is { } e ? Milliseconds(s, e) : null);
        var tolerated = t.GetBoolean(15);
        w.WritePropertyName(Items);
        // A for_each task run's items: rare, and PostgreSQL's jsonb text orders their keys its own way, so they take the
        // serializer's path (TaskRunItems), as before.
        if (t.IsDBNull(16))
            w.WriteNullValue();
        else
            JsonSerializer.Serialize(w, TaskRunItems.From(t.GetFieldValue<byte[]>(16)), options);
        w.WriteEndObject();
        if (TaskRunConditions.Failed.Matches(status, retryScheduled: false))
            _failed.Add(new FailedCandidate(index, status, tolerated, Encoding.UTF8.GetString(name.Span), error));
        return prompt + completion;
    }

    /// <summary>
    /// A short text column read as its UTF-8 bytes (bytea) into the writer's scratch buffer, valid until the next call: the
    /// writer escapes UTF-8 exactly as it escapes a string, so the answer is the same with no string per task run.
    /// </summary>
    private ReadOnlyMemory<byte> Utf8(DbDataReader reader, int ordinal)
    {
        var length = checked((int)reader.GetBytes(ordinal, 0, null, 0, 0));
        if (_scratch.Length < length)
            _scratch = new byte[Math.Max(length, _scratch.Length * 2)];
        var read = 0;
        while (read < length)
            read += (int)reader.GetBytes(ordinal, read, _scratch, read, length - read);
        return _scratch.AsMemory(0, length);
    }

    /// <summary>The task run statuses as the shared constants, so that reading one allocates nothing.</summary>
    private static string StatusOf(ReadOnlyMemory<byte> utf8)
    {
        foreach (var (bytes, text) in KnownStatuses)
        {
            if (utf8.Span.SequenceEqual(bytes))
                return text;
        }
        return Encoding.UTF8.GetString(utf8.Span);
    }

    /// <summary>Stored JSON (its text's UTF-8 bytes) through a pooled buffer, written as it is (see <c>StoredJson</c>).</summary>
    private void Stored(JsonEncodedText property, DbDataReader reader, int ordinal)
    {
        _writer.WritePropertyName(property);
        if (reader.IsDBNull(ordinal))
        {
            _writer.WriteNullValue();
            return;
        }
        var length = checked((int)reader.GetBytes(ordinal, 0, null, 0, 0));
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var read = 0;
            while (read < length)
                read += (int)reader.GetBytes(ordinal, read, buffer, read, length - read);
            _writer.WriteRawValue(buffer.AsSpan(0, length), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void StringOrNull(JsonEncodedText property, string? value)
    {
        if (value is null)
            _writer.WriteNull(property);
        else
            _writer.WriteString(property, value);
    }

    private void GuidOrNull(JsonEncodedText property, Guid? value)
    {
        if (value is { } guid)
            _writer.WriteString(property, guid);
        else
            _writer.WriteNull(property);
    }

    private void NumberOrNull(JsonEncodedText property, long? value)
    {
        if (value is { } number)
            _writer.WriteNumber(property, number);
        else
            _writer.WriteNull(property);
    }

    /// <summary>As <see cref="UtcDateTimeConverter"/> writes a timestamp, without a string in between.</summary>
    private void Time(JsonEncodedText property, DateTime? value)
    {
        if (value is not { } time)
        {
            _writer.WriteNull(property);
            return;
        }
        Span<byte> text = stackalloc byte[UtcDateTimeConverter.Utf8Length + 1];
        _writer.WriteString(property, text[..UtcDateTimeConverter.Utf8(time, text)]);
    }

    private long Unflushed => _writer.BytesCommitted + _writer.BytesPending - _flushed;

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        _writer.Flush();
        _flushed = _writer.BytesCommitted;
        await pipe.FlushAsync(cancellationToken);
    }

    private static long Milliseconds(DateTime start, DateTime end) => Math.Max(0, (long)Math.Round((end - start).TotalMilliseconds));

    private static JsonEncodedText Name(string name) => JsonEncodedText.Encode(name);

    private sealed record FailedCandidate(int Index, string Status, bool Tolerated, string Name, string? Error);

    /// <summary>The task reader with the first two columns of its current row read (a sequential reader reads each once).</summary>
    private sealed class TaskRowCursor
    {
        private TaskRowCursor(DbDataReader? reader) => Reader = reader!;

        public DbDataReader Reader { get; }

        public bool HasRow { get; private set; }

        public Guid Id { get; private set; }

        public Guid RunId { get; private set; }

        public bool OnRun(Guid runId) => HasRow && RunId == runId;

        public static async Task<TaskRowCursor> StartAsync(DbDataReader? reader, CancellationToken cancellationToken)
        {
            var cursor = new TaskRowCursor(reader);
            if (reader is not null)
                await cursor.NextAsync(cancellationToken);
            return cursor;
        }

        public async Task NextAsync(CancellationToken cancellationToken)
        {
            HasRow = await Reader.ReadAsync(cancellationToken);
            if (!HasRow)
                return;
            Id = Reader.GetGuid(0);
            RunId = Reader.GetGuid(1);
        }
    }
}
