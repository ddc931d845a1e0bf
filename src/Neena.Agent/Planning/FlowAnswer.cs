using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using Neena.Domain.Flows;

namespace Neena.Agent.Planning;

/// <summary>
/// The shape of the model's answer in planning (§6): the body of <c>POST /flows</c> plus an explanation. Only its JSON
/// schema is used: answers are read as that body by <see cref="IFlowDraftReader"/>.
/// </summary>
internal sealed class FlowAnswer
{
    /// <summary>
    /// The generated schema with the closed sets and limits the validator of <c>POST /flows</c> enforces (join and op values,
    /// the condition's group and test counts), which attributes cannot express, so a model that honours the schema is valid.
    /// </summary>
    public static JsonElement Restrict(JsonElement generated)
    {
        var schema = JsonNode.Parse(generated.GetRawText())!;
        var operation = schema["properties"]!["task_operations"]!["items"]!["properties"]!;
        operation["join"]!["enum"] = new JsonArray([.. TaskJoin.Values.Select(v => (JsonNode)v), null]);
        operation["for_each"]!["maxLength"] = 4000;
        var any = schema["properties"]!["dependencies"]!["items"]!["properties"]!["condition"]!["properties"]!["any"]!;
        any["minItems"] = 1;
        any["maxItems"] = DependencyCondition.MaxGroups;
        var all = any["items"]!["properties"]!["all"]!;
        all["minItems"] = 1;
        all["maxItems"] = DependencyCondition.MaxTests;
        all["items"]!["properties"]!["op"]!["enum"] = new JsonArray([.. ConditionOps.All.Select(o => (JsonNode)o)]);
        return JsonSerializer.SerializeToElement(schema);
    }

    [Description("A short name for the flow (at most 200 characters).")]
    public required string Name { get; init; }

    public required IReadOnlyList<FlowAnswerOperation> TaskOperations { get; init; }

    public required IReadOnlyList<FlowAnswerDependency> Dependencies { get; init; }

    [Description("Why these tasks, in this order, serve the request.")]
    public required string Explanation { get; init; }
}

internal sealed class FlowAnswerOperation
{
    [Description("What this step does, in a few words.")]
    public required string Name { get; init; }

    // A string, not a Guid: the schema offers ids as the candidates list them, without a format the model may not know.
    [Description("The id of one of the candidate task definitions.")]
    public required string TaskDefinition { get; init; }

    [Description("What this step should do for the request, for whoever prepares its inputs.")]
    public required string Instruction { get; init; }

    [Description("A unique non-negative number identifying this operation in the flow.")]
    public required int Index { get; init; }

    [Description("Optional bindings of the task's input parameters by name: JSON literals or strings with {{request.instructions}}, {{request.name}}, {{request.metadata.KEY}}, {{tasks.INDEX.result.PATH}}, {{tasks.INDEX.status}} or {{tasks.INDEX.error}} references (INDEX must be an ancestor); with for_each also {{item}}, {{item.PATH}} and {{item_index}}.")]
    public JsonObject Parameters { get; init; } = [];

    [Description("Optional: 'all' (the default) runs this operation only when every incoming dependency is taken, 'any' when at least one is (where the branches of an if/else meet); otherwise it is skipped.")]
    public string? Join { get; init; }

    [Description("Optional: true lets the run go on when this operation fails; conditions on its outgoing dependencies may test {{tasks.INDEX.status}} eq 'failed' to run a fallback.")]
    public bool? ContinueOnFailure { get; init; }

    [Description("Optional: exactly one binding to a JSON array, e.g. \"{{tasks.0.result.cards}}\"; the operation then runs once per item.")]
    public string? ForEach { get; init; }
}

internal sealed class FlowAnswerDependency
{
    [Description("Index of the operation that runs first.")]
    public required int SourceTaskOperation { get; init; }

    [Description("Index of the operation that runs after it.")]
    public required int TargetTaskOperation { get; init; }

    [Description("What passes from the source to the target.")]
    public string Instruction { get; init; } = "";

    [Description("Optional: the dependency is taken only when this holds, decided once the source has ended; null or left out: always taken. An OR of ANDs.")]
    public FlowAnswerCondition? Condition { get; init; }
}

/// <summary>A dependency's condition as the planner may write it (issue 20); validated as <c>POST /flows</c> validates it.</summary>
internal sealed class FlowAnswerCondition
{
    [Description("The groups, at least one: the condition holds when every test of some group holds.")]
    public required IReadOnlyList<FlowAnswerConditionGroup> Any { get; init; }
}

internal sealed class FlowAnswerConditionGroup
{
    [Description("The tests of the group, at least one.")]
    public required IReadOnlyList<FlowAnswerConditionTest> All { get; init; }
}

internal sealed class FlowAnswerConditionTest
{
    [Description("A JSON literal or a binding string such as \"{{tasks.0.result.name}}\" or \"{{tasks.0.status}}\".")]
    public required JsonNode? Left { get; init; }

    [Description("One of: eq, ne, gt, gte, lt, lte, contains, not_contains, starts_with, ends_with, exists, not_exists, is_empty, is_not_empty.")]
    public required string Op { get; init; }

    [Description("A JSON literal or a binding string; ignored by exists, not_exists, is_empty and is_not_empty.")]
    public JsonNode? Right { get; init; }
}
