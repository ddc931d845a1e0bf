using System.Text.Json.Nodes;
using Neena.Domain.Common;

namespace Neena.Domain.FlowRuns;

/// <summary>
/// One item of a <c>for_each</c> task run (issue 20): its own status, result, error and attempts, so that a crash, a lost
/// lease or a retry of the run never repeats an item that completed. Written by the engine only, fenced on the run's lease.
/// </summary>
public sealed class TaskRunItem : ITenantOwned
{
    public Guid TaskRunId { get; set; }
    public Guid OrganizationId { get; set; }
    public int ItemIndex { get; set; }

    /// <summary><c>pending</c>, <c>in_progress</c>, <c>completed</c>, <c>failed</c> or <c>skipped</c> (its per-item conditions did not hold).</summary>
    public string Status { get; set; } = RunStatus.Pending;

    public JsonNode? Result { get; set; }
    public string? Error { get; set; }
    public int Attempt { get; set; }
    public DateTime? StartTime { get; set; }
    public DateTime? EndTime { get; set; }
}

/// <summary>The item a <c>for_each</c> task's attempt works on: <c>{{item}}</c> (and <c>{{item.PATH}}</c>) and <c>{{item_index}}</c>.</summary>
public sealed record ForEachItem(int Index, JsonNode? Value);

/// <summary>The durable state of one item as the engine reads it back.</summary>
public sealed record ForEachItemState(int Index, string Status, JsonNode? Result, int Attempt);

/// <summary>What the engine needs of a <c>for_each</c> binding's value.</summary>
public static class ForEachItems
{
    /// <summary>Statuses after which an item is never run again (a failed item runs again when the task does).</summary>
    public static bool IsDone(string status) => status is RunStatus.Completed or TaskRunStatus.Skipped;

    /// <summary>A dot path into an item (numeric segments index arrays); null where nothing is.</summary>
    public static JsonNode? Step(JsonNode? node, IReadOnlyList<string> path)
    {
        foreach (var segment in path)
        {
            node = node switch
            {
                JsonObject obj => obj.TryGetPropertyValue(segment, out var child) ? child : null,
                JsonArray array when int.TryParse(segment, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i)
                                     && i < array.Count => array[i],
                _ => null,
            };
            if (node is null)
                return null;
        }
        return node;
    }
}

/// <summary>Conditions on the incoming edges of a <c>for_each</c> task that name the current item (issue 20).</summary>
public static class ForEachConditions
{
    /// <summary>Whether any string inside the stored condition holds an <c>{{item…}}</c> or <c>{{item_index}}</c> reference.</summary>
    public static bool MentionsItem(JsonNode? node) => node switch
    {
        JsonObject obj => obj.Any(p => MentionsItem(p.Value)),
        JsonArray array => array.Any(MentionsItem),
        JsonValue value when value.TryGetValue<string>(out var text) =>
            Flows.BindingTemplate.Parse(text, out _).Any(p => p.Reference is { IsItem: true }),
        _ => false,
    };
}

/// <summary>The statuses of a <c>for_each</c> item (the OpenAPI <c>TaskRunItemStatus</c> enum).</summary>
public static class TaskRunItemStatus
{
    public static readonly IReadOnlyList<string> All =
        [RunStatus.Pending, RunStatus.InProgress, RunStatus.Completed, RunStatus.Failed, TaskRunStatus.Skipped];
}
