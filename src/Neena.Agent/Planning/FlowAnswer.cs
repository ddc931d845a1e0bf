using System.ComponentModel;
using System.Text.Json.Nodes;

namespace Neena.Agent.Planning;

/// <summary>
/// The shape of the model's answer in planning (§6): the body of <c>POST /flows</c> plus an explanation. Only its JSON
/// schema is used: answers are read as that body by <see cref="IFlowDraftReader"/>.
/// </summary>
internal sealed class FlowAnswer
{
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

    [Description("Optional bindings of the task's input parameters by name: JSON literals or strings with {{request.instructions}}, {{request.name}}, {{request.metadata.KEY}} or {{tasks.INDEX.result.PATH}} references (INDEX must be an ancestor).")]
    public JsonObject Parameters { get; init; } = [];
}

internal sealed class FlowAnswerDependency
{
    [Description("Index of the operation that runs first.")]
    public required int SourceTaskOperation { get; init; }

    [Description("Index of the operation that runs after it.")]
    public required int TargetTaskOperation { get; init; }

    [Description("What passes from the source to the target.")]
    public string Instruction { get; init; } = "";
}
