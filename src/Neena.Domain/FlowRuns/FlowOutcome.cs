using System.Text.Json.Nodes;
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
        var dependedOn = taskRuns.SelectMany(t => t.DependsOn).ToHashSet();
        var outputs = new JsonObject();
        foreach (var final in taskRuns.Where(t => !dependedOn.Contains(t.TaskOperationIndex)).OrderBy(t => t.TaskOperationIndex))
        {
            outputs[final.TaskOperationIndex.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["name"] = final.OperationName,
                ["status"] = final.Status,
                ["result"] = final.Result?.DeepClone(),
            };
        }
        var errors = new JsonArray(taskRuns
            .Where(t => t.Error is not null)
            .OrderBy(t => t.TaskOperationIndex)
            .Select(t => (JsonNode)new JsonObject { ["task_operation_index"] = t.TaskOperationIndex, ["name"] = t.OperationName, ["error"] = t.Error })
            .ToArray());
        var body = new JsonObject
        {
            ["status"] = runStatus,
            ["message"] = message ?? DefaultMessage(runStatus, taskRuns),
            ["outputs"] = outputs,
            ["errors"] = errors,
        };
        return body.ToJsonString(JsonDepth.SerializerOptions);
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
