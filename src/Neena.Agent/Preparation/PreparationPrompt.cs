using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Neena.Domain.Catalogue;
using Neena.Domain.FlowRuns;
using static System.FormattableString;

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
        var user = new PromptText(keepChars: null);
        Write(user, request, parameters, bound, unresolved, ancestors);
        return [new ChatMessage(ChatRole.System, SystemPrompt), new ChatMessage(ChatRole.User, user.Whole())];
    }

    /// <summary>
    /// The messages of <see cref="Build"/> as the preparation record keeps them (<see cref="PreparationRecord.Cap(string)"/>),
    /// without making their whole text: preparing without a model records the prompt a model would have been given, and
    /// that prompt quotes the whole request metadata (issue 23: a 1 MB request made each task write and copy it four times).
    /// </summary>
    public static IReadOnlyList<(ChatRole Role, string Content)> BuildRecord(
        PreparationRequest request,
        IReadOnlyList<ParameterDefinition> parameters,
        IReadOnlyDictionary<string, Resolved> bound,
        IReadOnlyList<ParameterDefinition> unresolved,
        IReadOnlyList<TaskRun> ancestors)
    {
        var user = new PromptText(keepChars: PreparationRecord.MaxChars);
        Write(user, request, parameters, bound, unresolved, ancestors);
        return [(ChatRole.System, PreparationRecord.Cap(SystemPrompt)), (ChatRole.User, user.Capped())];
    }

    private static void Write(
        PromptText user,
        PreparationRequest request,
        IReadOnlyList<ParameterDefinition> parameters,
        IReadOnlyDictionary<string, Resolved> bound,
        IReadOnlyList<ParameterDefinition> unresolved,
        IReadOnlyList<TaskRun> ancestors)
    {
        var json = PreparationJson.Compact;
        var task = request.Task;
        user.Line("## Flow request");
        user.Line(Invariant($"Instructions: {request.Request.Instructions}"));
        user.Line(Invariant($"Name: {request.Request.Name ?? "(none)"}"));
        user.Append("Metadata: ");
        user.Json(request.Request.Metadata, json);
        user.Line();
        user.Line();
        user.Line("## Flow");
        user.Line(Invariant($"Name: {request.FlowName}"));
        user.Line("Operations:");
        foreach (var operation in request.RunTasks.OrderBy(t => t.SortedIndex).ThenBy(t => t.TaskOperationIndex))
            user.Line(Invariant($"- {operation.TaskOperationIndex}: {operation.OperationName}: {operation.Instruction ?? "(no instruction)"}"));
        user.Line("Dependencies:");
        var dependencies = request.Dependencies ?? [];
        if (dependencies.Count == 0)
            user.Line("(none)");
        foreach (var dependency in dependencies)
        {
            var instruction = string.IsNullOrWhiteSpace(dependency.Instruction) ? "" : $": {dependency.Instruction}";
            user.Line(Invariant($"- {dependency.Source} -> {dependency.Target}{instruction}"));
        }
        user.Line();
        user.Line("## Task operation");
        user.Line(Invariant($"Index: {task.TaskOperationIndex}"));
        user.Line(Invariant($"Name: {task.OperationName}"));
        user.Line(Invariant($"Instruction: {task.Instruction ?? "(none)"}"));
        user.Line();
        user.Line("## Task definition");
        user.Line(Invariant($"Name: {request.Definition.TaskName}"));
        user.Line(Invariant($"Description: {request.Definition.Description}"));
        user.Line("Parameters:");
        foreach (var p in parameters)
        {
            var optional = p.Optional ? "optional" : "required";
            user.Line(Invariant($"- {p.Name} ({p.DataType}, {optional}): {p.DocString ?? ""}"));
        }
        if (request.Definition.Outputs is { Count: > 0 } outputs)
        {
            user.Line(request.Definition.OutputIsList ? "Output (a list of objects with):" : "Output:");
            foreach (var o in outputs.OrderBy(o => o.Position))
                user.Line(Invariant($"- {o.Name} ({o.DataType}): {o.DocString ?? ""}"));
        }
        user.Line();
        user.Line("## Outputs of earlier tasks (this task's ancestors, in flow order)");
        if (ancestors.Count == 0)
            user.Line("(none)");
        foreach (var source in ancestors.Reverse())
        {
            var (result, length) = JsonTextStart.Of(source.Result, json, MaxOutputCharsInPrompt);
            if (length > MaxOutputCharsInPrompt)
                result = string.Concat(result, "… (truncated)");
            user.Line(Invariant($"- task {source.TaskOperationIndex} ({source.OperationName}): {result}"));
        }
        user.Line();
        user.Line("## Parameters already bound");
        if (bound.Count == 0)
            user.Line("(none)");
        foreach (var (name, value) in bound)
        {
            user.Append(Invariant($"- {name} = "));
            user.Json(value.Value, json);
            user.Line(Invariant($" ({value.Explanation})"));
        }
        user.Line();
        user.Line("## Unresolved parameters");
        if (unresolved.Count == 0)
            user.Line("(none)");
        foreach (var p in unresolved)
            user.Line(Invariant($"- {p.Name} ({p.DataType}{(p.Optional ? ", optional" : "")})"));
    }

    /// <summary>
    /// The user message as it is written: whole (for the model), or only its first characters and its length (for the
    /// record), so that the request metadata it quotes is never made into text for a record that keeps 16 KiB of it.
    /// </summary>
    private sealed class PromptText(int? keepChars)
    {
        private readonly StringBuilder _text = new();
        private long _length;
        private long _trimmedLength;

        public void Line(string text = "") => Append(text + Environment.NewLine);

        public void Append(string text)
        {
            if (keepChars is not { } keep)
                _text.Append(text);
            else if (_text.Length < keep)
                _text.Append(text, 0, Math.Min(text.Length, keep - _text.Length));
            for (var i = text.Length - 1; i >= 0; i--)
            {
                if (!char.IsWhiteSpace(text[i]))
                {
                    _trimmedLength = _length + i + 1;
                    break;
                }
            }
            _length += text.Length;
        }

        public void Json(JsonNode? value, JsonSerializerOptions options)
        {
            if (keepChars is not { } keep)
            {
                Append(value?.ToJsonString(options) ?? "null");
                return;
            }
            var (start, length) = JsonTextStart.Of(value, options, Math.Max(0, keep - _text.Length));
            _text.Append(start);
            // JSON text never ends in white space.
            _length += length;
            _trimmedLength = _length;
        }

        /// <summary>The text without trailing white space, as <c>TrimEnd()</c> leaves it.</summary>
        public string Whole() => _text.ToString().TrimEnd();

        /// <summary><see cref="PreparationRecord.Cap(string)"/> of <see cref="Whole"/>.</summary>
        public string Capped() => _trimmedLength <= PreparationRecord.MaxChars
            ? _text.ToString(0, (int)_trimmedLength)
            : PreparationRecord.Capped(_text.ToString(0, PreparationRecord.MaxChars), _trimmedLength);
    }

    /// <summary>The second and last ask, after an answer that did not fit the parameters.</summary>
    public static ChatMessage Retry(IReadOnlyList<string> problems) => new(
        ChatRole.User,
        "Your answer cannot be used:\n" + string.Join('\n', problems.Select(p => "- " + p)) +
        "\nAnswer again with the corrected JSON, giving every required unresolved parameter a value of its data type.");
}
