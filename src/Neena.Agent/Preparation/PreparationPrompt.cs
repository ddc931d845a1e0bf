using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;
using Neena.Domain.Catalogue;
using Neena.Domain.FlowRuns;

namespace Neena.Agent.Preparation;

/// <summary>
/// Builds the messages that ask the model for a task's open parameters: the flow request, the flow (operations and
/// dependencies with their instructions), this operation and its task definition, and its completed ancestors' results.
/// </summary>
internal static class PreparationPrompt
{
    /// <summary>Longest JSON of one earlier output quoted in the prompt; keeps prompts bounded whatever tasks return.</summary>
    internal const int MaxOutputCharsInPrompt = 4000;

    internal const string SystemPrompt =
        "You prepare the input of one task in a Neena flow. A flow is a graph of tasks run for a user's request. " +
        "Using the request, the flow, the task operation's instruction, the task definition and the outputs of earlier tasks, give a value " +
        "for each parameter listed as unresolved. Answer only with JSON of the form " +
        "{\"parameters\": [{\"name\": \"...\", \"value\": <JSON value of the parameter's data type>, \"explanation\": \"where the value comes from\"}]}. " +
        "Give every required parameter; leave out an optional one you cannot fill from the information given; never invent data.";

    /// <param name="ancestors">The completed ancestors, latest first.</param>
    public static List<ChatMessage> Build(
        PreparationRequest request,
        IReadOnlyList<ParameterDefinition> parameters,
        IReadOnlyDictionary<string, Resolved> bound,
        IReadOnlyList<ParameterDefinition> unresolved,
        IReadOnlyList<TaskRun> ancestors)
    {
        var json = PreparationJson.Compact;
        var task = request.Task;
        var user = new StringBuilder();
        user.AppendLine("## Flow request");
        user.AppendLine(CultureInfo.InvariantCulture, $"Instructions: {request.Request.Instructions}");
        user.AppendLine(CultureInfo.InvariantCulture, $"Name: {request.Request.Name ?? "(none)"}");
        user.AppendLine(CultureInfo.InvariantCulture, $"Metadata: {request.Request.Metadata.ToJsonString(json)}");
        user.AppendLine();
        user.AppendLine("## Flow");
        user.AppendLine(CultureInfo.InvariantCulture, $"Name: {request.FlowName}");
        user.AppendLine("Operations:");
        foreach (var operation in request.RunTasks.OrderBy(t => t.SortedIndex).ThenBy(t => t.TaskOperationIndex))
            user.AppendLine(CultureInfo.InvariantCulture, $"- {operation.TaskOperationIndex}: {operation.OperationName}: {operation.Instruction ?? "(no instruction)"}");
        user.AppendLine("Dependencies:");
        var dependencies = request.Dependencies ?? [];
        if (dependencies.Count == 0)
            user.AppendLine("(none)");
        foreach (var dependency in dependencies)
        {
            var instruction = string.IsNullOrWhiteSpace(dependency.Instruction) ? "" : $": {dependency.Instruction}";
            user.AppendLine(CultureInfo.InvariantCulture, $"- {dependency.Source} -> {dependency.Target}{instruction}");
        }
        user.AppendLine();
        user.AppendLine("## Task operation");
        user.AppendLine(CultureInfo.InvariantCulture, $"Index: {task.TaskOperationIndex}");
        user.AppendLine(CultureInfo.InvariantCulture, $"Name: {task.OperationName}");
        user.AppendLine(CultureInfo.InvariantCulture, $"Instruction: {task.Instruction ?? "(none)"}");
        user.AppendLine();
        user.AppendLine("## Task definition");
        user.AppendLine(CultureInfo.InvariantCulture, $"Name: {request.Definition.TaskName}");
        user.AppendLine(CultureInfo.InvariantCulture, $"Description: {request.Definition.Description}");
        user.AppendLine("Parameters:");
        foreach (var p in parameters)
        {
            var optional = p.Optional ? "optional" : "required";
            user.AppendLine(CultureInfo.InvariantCulture, $"- {p.Name} ({p.DataType}, {optional}): {p.DocString ?? ""}");
        }
        if (request.Definition.Outputs is { Count: > 0 } outputs)
        {
            user.AppendLine(request.Definition.OutputIsList ? "Output (a list of objects with):" : "Output:");
            foreach (var o in outputs.OrderBy(o => o.Position))
                user.AppendLine(CultureInfo.InvariantCulture, $"- {o.Name} ({o.DataType}): {o.DocString ?? ""}");
        }
        user.AppendLine();
        user.AppendLine("## Outputs of earlier tasks (this task's ancestors, in flow order)");
        if (ancestors.Count == 0)
            user.AppendLine("(none)");
        foreach (var source in ancestors.Reverse())
        {
            var result = source.Result?.ToJsonString(json) ?? "null";
            if (result.Length > MaxOutputCharsInPrompt)
                result = string.Concat(result.AsSpan(0, MaxOutputCharsInPrompt), "… (truncated)");
            user.AppendLine(CultureInfo.InvariantCulture, $"- task {source.TaskOperationIndex} ({source.OperationName}): {result}");
        }
        user.AppendLine();
        user.AppendLine("## Parameters already bound");
        if (bound.Count == 0)
            user.AppendLine("(none)");
        foreach (var (name, value) in bound)
            user.AppendLine(CultureInfo.InvariantCulture, $"- {name} = {value.Value?.ToJsonString(json) ?? "null"} ({value.Explanation})");
        user.AppendLine();
        user.AppendLine("## Unresolved parameters");
        if (unresolved.Count == 0)
            user.AppendLine("(none)");
        foreach (var p in unresolved)
            user.AppendLine(CultureInfo.InvariantCulture, $"- {p.Name} ({p.DataType}{(p.Optional ? ", optional" : "")})");

        return [new ChatMessage(ChatRole.System, SystemPrompt), new ChatMessage(ChatRole.User, user.ToString().TrimEnd())];
    }

    /// <summary>The second and last ask, after an answer that did not fit the parameters.</summary>
    public static ChatMessage Retry(IReadOnlyList<string> problems) => new(
        ChatRole.User,
        "Your answer cannot be used:\n" + string.Join('\n', problems.Select(p => "- " + p)) +
        "\nAnswer again with the corrected JSON, giving every required unresolved parameter a value of its data type.");
}
