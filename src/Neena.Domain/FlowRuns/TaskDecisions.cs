using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Neena.Domain.Flows;

namespace Neena.Domain.FlowRuns;

/// <summary>What a run's request offers to conditions: <c>{{request.instructions}}</c>, <c>.name</c>, <c>.metadata.KEY</c>.</summary>
public sealed record RequestValues(string Instructions, string? Name, JsonArray Metadata);

/// <summary>What the scheduler does with an open task run given its incoming edges.</summary>
public enum TaskDecision
{
    /// <summary>Some source has not ended yet.</summary>
    Wait = 0,

    /// <summary>Every source ended and its join is met: it may start.</summary>
    Run = 1,

    /// <summary>Every source ended and its join is not met: it ends <c>skipped</c> without an attempt.</summary>
    Skip = 2,
}

/// <summary>
/// Issue 20's scheduling rules, decided from the stored task runs alone (the copied join, continue_on_failure and
/// conditions, and the sources' statuses, results and errors): the same rows always give the same answer, so a resumed or
/// taken-over run decides every edge as before without storing the decisions. A flow without the new fields decides as
/// before: a task runs once every source completed.
/// </summary>
public static class TaskDecisions
{
    /// <summary>Failed for good, and its operation said the run goes on.</summary>
    public static bool IsToleratedFailure(TaskRun task) => task is not null && task.ContinueOnFailure && TaskRunStateMachine.IsFailed(task);

    /// <summary>Failed for good without <c>continue_on_failure</c>: the run starts nothing more and ends failed.</summary>
    public static bool StopsRun(TaskRun task) => task is not null && !task.ContinueOnFailure && TaskRunStateMachine.IsFailed(task);

    /// <summary>Ended as a source: completed, skipped, or a tolerated failure; its outgoing edges can be decided.</summary>
    public static bool HasEnded(TaskRun task) =>
        task is not null && (TaskRunStateMachine.IsCompleted(task) || task.Status == TaskRunStatus.Skipped || IsToleratedFailure(task));

    /// <summary>
    /// Whether the edge <paramref name="source"/> → <paramref name="target"/> is taken: the source completed or failed
    /// tolerated (a skipped source's edges are not), and the edge's condition, if any, holds.
    /// </summary>
    /// <remarks>
    /// A condition naming <c>{{item…}}</c> (on an edge into a <c>for_each</c> task) is decided per item: without
    /// <paramref name="item"/> it counts as taken, so the task runs and <see cref="ItemRuns"/> decides each item.
    /// </remarks>
    public static bool IsTaken(TaskRun source, TaskRun target, IReadOnlyDictionary<int, TaskRun> byIndex, RequestValues request, ForEachItem? item = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (!TaskRunStateMachine.IsCompleted(source) && !IsToleratedFailure(source))
            return false;
        var key = source.TaskOperationIndex.ToString(CultureInfo.InvariantCulture);
        if (target.Conditions?[key] is not JsonObject stored)
            return true;
        // Validated when the flow was saved; a stored condition that no longer parses takes no edge rather than guess.
        if (item is null && target.ForEach is not null && ForEachConditions.MentionsItem(stored))
            return true;
        var condition = DependencyCondition.Parse(stored, "condition", []);
        return condition is not null && condition.Evaluate(side => Resolve(side, byIndex, request, item));
    }

    /// <summary>The decision on an open task run (<see cref="TaskRunStateMachine.Start"/> allows its status); others wait.</summary>
    public static TaskDecision Decide(TaskRun task, IReadOnlyDictionary<int, TaskRun> byIndex, RequestValues request)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(byIndex);
        if (!TaskRunStateMachine.Start.Allows(task.Status))
            return TaskDecision.Wait;
        var sources = new List<TaskRun>(task.DependsOn.Count);
        foreach (var index in task.DependsOn)
        {
            // A missing source never ends, so its dependants never run (as before issue 20).
            if (!byIndex.TryGetValue(index, out var source) || !HasEnded(source))
                return TaskDecision.Wait;
            sources.Add(source);
        }
        if (sources.Count == 0)
            return TaskDecision.Run;
        var taken = sources.Count(s => IsTaken(s, task, byIndex, request));
        var met = task.Join == TaskJoin.Any ? taken > 0 : taken == sources.Count;
        return met ? TaskDecision.Run : TaskDecision.Skip;
    }

    /// <summary>
    /// Whether one item of a running <c>for_each</c> task runs: its incoming edges decided again with the item's values
    /// (every source has ended, as the task runs), under its join. An item that does not run ends <c>skipped</c>.
    /// </summary>
    public static bool ItemRuns(TaskRun task, IReadOnlyDictionary<int, TaskRun> byIndex, RequestValues request, ForEachItem item)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(byIndex);
        var sources = task.DependsOn.Select(i => byIndex.GetValueOrDefault(i)).OfType<TaskRun>().ToList();
        if (sources.Count == 0)
            return true;
        var taken = sources.Count(s => IsTaken(s, task, byIndex, request, item));
        return task.Join == TaskJoin.Any ? taken > 0 : taken == sources.Count;
    }

    /// <summary>A binding's value over the run's task runs and request (a <c>for_each</c> array); null where nothing is.</summary>
    public static JsonNode? ResolveBinding(string binding, IReadOnlyDictionary<int, TaskRun> byIndex, RequestValues request) =>
        Resolve(JsonValue.Create(binding), byIndex, request, item: null);

    /// <summary>A condition's side: a binding string resolves over the run's task runs and request; anything else is itself.</summary>
    private static JsonNode? Resolve(JsonNode? side, IReadOnlyDictionary<int, TaskRun> byIndex, RequestValues request, ForEachItem? item)
    {
        if (side is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
            return side;
        var text = value.GetValue<string>();
        var parts = BindingTemplate.Parse(text, out var error);
        if (error is not null || parts.All(p => p.Reference is null))
            return side;
        if (parts is [{ Reference: { } only }])
            return Lookup(only, byIndex, request, item);
        var builder = new StringBuilder();
        foreach (var part in parts)
            builder.Append(part.Reference is null ? part.Text : TextOf(Lookup(part.Reference, byIndex, request, item)));
        return JsonValue.Create(builder.ToString());
    }

    /// <summary>A reference's value; null for what does not exist (conditions test it with <c>exists</c>).</summary>
    private static JsonNode? Lookup(BindingReference reference, IReadOnlyDictionary<int, TaskRun> byIndex, RequestValues request, ForEachItem? item)
    {
        switch (reference)
        {
            case BindingReference.Item(var itemPath):
                return item is null ? null : ForEachItems.Step(item.Value, itemPath);
            case BindingReference.ItemIndex:
                return item is null ? null : JsonValue.Create(item.Index);
            case BindingReference.RequestInstructions:
                return JsonValue.Create(request.Instructions);
            case BindingReference.RequestName:
                return request.Name is null ? null : JsonValue.Create(request.Name);
            case BindingReference.RequestMetadata(var key, var metadataPath):
                return ForEachItems.Step(
                    request.Metadata.OfType<JsonObject>().Select(o => o.TryGetPropertyValue(key, out var found) ? found : null).FirstOrDefault(f => f is not null),
                    metadataPath);
            case BindingReference.TaskStatus(var index):
                return byIndex.TryGetValue(index, out var withStatus) ? JsonValue.Create(withStatus.Status) : null;
            case BindingReference.TaskError(var index):
                return byIndex.TryGetValue(index, out var withError) && withError.Error is { } message ? JsonValue.Create(message) : null;
            case BindingReference.TaskResult(var index, var path):
                if (!byIndex.TryGetValue(index, out var source) || !TaskRunStateMachine.IsCompleted(source))
                    return null;
                var node = source.Result;
                foreach (var segment in path)
                {
                    node = node switch
                    {
                        JsonObject obj => obj.TryGetPropertyValue(segment, out var child) ? child : null,
                        JsonArray array when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < array.Count => array[i],
                        _ => null,
                    };
                    if (node is null)
                        return null;
                }
                return node;
            default:
                return null;
        }
    }

    private static string TextOf(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => value.ToJsonString(),
    };
}
