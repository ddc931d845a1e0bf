using System.Text.Json;
using Neena.Domain.Common;

namespace Neena.Domain.FlowRuns;

/// <summary>Composes a finished run's flow result body: the outcome and the outputs of its final tasks.</summary>
public static class FlowOutcome
{
    /// <summary>
    /// <paramref name="taskRuns"/> are the run's task runs; final tasks are those no other task depends on. The body is a
    /// JSON document in a string (the contract's <c>body</c> is a string): <c>{"status", "message", "outputs", "errors"}</c>.
    /// </summary>
    public static string ComposeBody(string runStatus, IReadOnlyCollection<TaskRun> taskRuns, string? message = null)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsonDepth.WriterOptions))
        {
            WriteBodyAsync(writer, runStatus, taskRuns, message, (task, w) =>
            {
                if (task.Result is null)
                    w.WriteNullValue();
                else
                    task.Result.WriteTo(w, JsonDepth.SerializerOptions);
                return ValueTask.CompletedTask;
            }).AsTask().GetAwaiter().GetResult();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The final tasks (those no other task depends on), in index order: the tasks whose results the body holds.</summary>
    public static List<TaskRun> FinalTasks(IReadOnlyCollection<TaskRun> taskRuns)
    {
        ArgumentNullException.ThrowIfNull(taskRuns);
        var dependedOn = taskRuns.SelectMany(t => t.DependsOn).ToHashSet();
        return [.. taskRuns.Where(t => !dependedOn.Contains(t.TaskOperationIndex)).OrderBy(t => t.TaskOperationIndex)];
    }

    /// <summary>
    /// Writes the body <see cref="ComposeBody"/> describes, asking <paramref name="writeResult"/> for each final task's
    /// result in index order (the <see cref="TaskRun.Result"/> of <paramref name="taskRuns"/> is not read): the caller can
    /// stream stored results into the body instead of holding them all as nodes (issue 23: a run of ten 1 MB results).
    /// </summary>
    public static async ValueTask WriteBodyAsync(
        Utf8JsonWriter writer, string runStatus, IReadOnlyCollection<TaskRun> taskRuns, string? message, Func<TaskRun, Utf8JsonWriter, ValueTask> writeResult)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(taskRuns);
        ArgumentNullException.ThrowIfNull(writeResult);
        writer.WriteStartObject();
        writer.WriteString("status", runStatus);
        writer.WriteString("message", message ?? DefaultMessage(runStatus, taskRuns));
        writer.WriteStartObject("outputs");
        foreach (var final in FinalTasks(taskRuns))
        {
            writer.WriteStartObject(final.TaskOperationIndex.ToString(System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteString("name", final.OperationName);
            writer.WriteString("status", final.Status);
            writer.WritePropertyName("result");
            await writeResult(final, writer);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
        writer.WriteStartArray("errors");
        foreach (var failed in taskRuns.Where(t => t.Error is not null).OrderBy(t => t.TaskOperationIndex))
        {
            writer.WriteStartObject();
            writer.WriteNumber("task_operation_index", failed.TaskOperationIndex);
            writer.WriteString("name", failed.OperationName);
            writer.WriteString("error", failed.Error);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static string DefaultMessage(string runStatus, IReadOnlyCollection<TaskRun> taskRuns) => runStatus switch
    {
        RunStatus.Completed => CompletedMessage(taskRuns),
        RunStatus.Failed => $"The run failed: {string.Join("; ", taskRuns.Where(t => t.Status == RunStatus.Failed).Select(t => $"task {t.TaskOperationIndex} ({t.OperationName}): {t.Error}"))}",
        RunStatus.Cancelled => "The run was cancelled.",
        _ => $"The run ended with status {runStatus}.",
    };

    /// <summary>
    /// A flow without issue 20's fields reads as before; otherwise the message names the tolerated failures first (a
    /// completed run whose lookup failed is not all good news) and counts the skipped tasks apart from the succeeded ones.
    /// </summary>
    private static string CompletedMessage(IReadOnlyCollection<TaskRun> taskRuns)
    {
        var tolerated = taskRuns.Where(TaskDecisions.IsToleratedFailure).OrderBy(t => t.TaskOperationIndex).ToList();
        var skipped = taskRuns.Count(t => t.Status == TaskRunStatus.Skipped);
        var succeeded = taskRuns.Count(TaskRunStateMachine.IsCompleted);
        if (tolerated.Count == 0 && skipped == 0)
            return $"The run completed: {taskRuns.Count} task(s) succeeded.";
        var counts = skipped == 0 ? $"{succeeded} task(s) succeeded." : $"{succeeded} task(s) succeeded, {skipped} skipped.";
        if (tolerated.Count == 0)
            return $"The run completed: {counts}";
        var failures = string.Join("; ", tolerated.Select(t => $"task {t.TaskOperationIndex} ({t.OperationName}): {t.Error?.TrimEnd('.')}"));
        return $"Completed with {tolerated.Count} tolerated failure{(tolerated.Count == 1 ? "" : "s")}: {failures}. {counts}";
    }
}
