using System.Globalization;
using System.Text.Json.Nodes;

namespace Neena.Agent.Planning;

/// <summary>
/// §6: a flow planned without a model must be runnable. Preparation without a model fills an input only from a binding or
/// by name from the request's metadata, so a required input with neither fails the task at its first preparation; such a
/// plan is refused instead, naming each task and input. With a model configured the model fills what bindings leave open,
/// so this check is for the data-flow planner.
/// </summary>
public static class RunnablePlan
{
    /// <summary>One problem per required input that nothing fills: the task operation, its task and the input.</summary>
    public static IReadOnlyList<string> UnfilledInputs(FlowDraft flow, IReadOnlyList<PlanCandidate> candidates, JsonArray metadata)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(metadata);
        var problems = new List<string>();
        foreach (var operation in flow.TaskOperations.OrderBy(o => o.Index))
        {
            var definition = candidates.FirstOrDefault(c => c.TaskDefinition == operation.TaskDefinition);
            if (definition is null)
                continue;
            foreach (var input in definition.Parameters.Where(p => !p.Optional).OrderBy(p => p.Position))
            {
                if (operation.Parameters?.ContainsKey(input.Name) == true || MetadataFields.MatchesTopLevel(metadata, input.Name))
                    continue;
                var task = operation.Name == definition.TaskName ? $"'{operation.Name}'" : $"'{operation.Name}' ({definition.TaskName})";
                problems.Add(string.Create(CultureInfo.InvariantCulture,
                    $"task {task} (operation {operation.Index}) needs its required input '{input.Name}' ({input.DataType}), and nothing fills it: no earlier task produces it and no request metadata field, at the top or nested (a webhook's payload), is named '{input.Name}'"));
            }
        }
        return problems;
    }

    /// <summary>The refusal: every unfilled input, and what the caller can do about it.</summary>
    public static string Refusal(IReadOnlyList<string> problems) =>
        $"the planned flow could not run without a language model: {string.Join("; ", problems)}. " +
        "Give the request (or the webhook's event) fields of those names, configure a language model, or write the flow with POST /flows";
}
