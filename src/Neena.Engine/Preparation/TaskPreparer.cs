using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Neena.Domain.Catalogue;
using Neena.Domain.FlowRuns;
using Neena.Domain.Flows;

namespace Neena.Engine.Preparation;

/// <summary>The flow request as preparation sees it.</summary>
public sealed record FlowRequestInfo(string Instructions, string? Name, JsonArray Metadata);

/// <summary>The task definition as preparation sees it (its parameters drive what must be filled).</summary>
public sealed record TaskDefinitionInfo(string TaskName, string Description, IReadOnlyList<ParameterDefinition> Parameters);

/// <summary>Everything needed to prepare one task run: the request, the flow, the task and the run's other tasks (for results).</summary>
public sealed record PreparationRequest(
    FlowRequestInfo Request,
    string FlowName,
    TaskRun Task,
    TaskDefinitionInfo Definition,
    IReadOnlyCollection<TaskRun> RunTasks);

/// <summary>
/// The prepared input, what was recorded as asked (<see cref="Prompt"/>) and answered (<see cref="Answer"/>), and an
/// error when the task cannot run with what could be resolved (never worth retrying: the same data gives the same answer).
/// </summary>
public sealed record PreparedTask(JsonObject Input, JsonObject Prompt, JsonObject Answer, string? Error);

/// <summary>
/// Fills a task's input parameters, in the contract's order: (1) the operation's explicit bindings, (2) the language
/// model when one is registered, (3) name matching against the request metadata and earlier results.
/// </summary>
public sealed class TaskPreparer(ILanguageModel? languageModel = null)
{
    /// <summary>Longest JSON of one earlier output quoted in the prompt; keeps prompts bounded whatever tasks return.</summary>
    internal const int MaxOutputCharsInPrompt = 4000;

    internal const string SystemPrompt =
        "You prepare the input of one task in a Neena flow. A flow is a graph of tasks run for a user's request. " +
        "Using the request, the task operation's instruction, the task definition and the outputs of earlier tasks, give a value " +
        "for each parameter listed as unresolved. Answer only with JSON of the form " +
        "{\"parameters\": [{\"name\": \"...\", \"value\": <JSON value of the parameter's data type>, \"explanation\": \"where the value comes from\"}]}. " +
        "Leave out a parameter you cannot fill from the information given; never invent data.";

    private static readonly JsonSerializerOptions CompactJson = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task<PreparedTask> PrepareAsync(PreparationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var task = request.Task;
        var parameters = request.Definition.Parameters.OrderBy(p => p.Position).ToList();
        var values = new Dictionary<string, Resolved>(StringComparer.Ordinal);
        var errors = new List<string>();
        var sources = OrderedSources(request);

        // (1) Explicit bindings. Keys are the definition's parameter names (the API checked them).
        foreach (var (name, binding) in task.Parameters ?? [])
        {
            var references = new List<string>();
            var value = ResolveBinding(binding, request, references, out var bindingError);
            if (bindingError is not null)
            {
                errors.Add($"parameter '{name}': {bindingError}");
                continue;
            }
            var explanation = references.Count == 0
                ? "binding literal"
                : "binding " + string.Join(", ", references.Distinct(StringComparer.Ordinal));
            values[name] = new Resolved(value, explanation);
        }

        var unresolved = parameters.Where(p => !values.ContainsKey(p.Name)).ToList();
        var prompt = BuildPrompt(request, parameters, values, unresolved, sources);

        // (2) The language model, for what bindings left open.
        if (languageModel is not null && unresolved.Count > 0 && errors.Count == 0)
        {
            var answer = await languageModel.CompleteAsync(prompt, unresolved, cancellationToken);
            foreach (var proposed in answer?.Parameters ?? [])
            {
                var parameter = unresolved.FirstOrDefault(p => string.Equals(p.Name, proposed.Name, StringComparison.OrdinalIgnoreCase));
                if (parameter is null || values.ContainsKey(parameter.Name))
                    continue; // the model may not override bindings or invent parameters
                var why = string.IsNullOrWhiteSpace(proposed.Explanation) ? "language model" : $"language model: {proposed.Explanation}";
                values[parameter.Name] = new Resolved(proposed.Value?.DeepClone(), why);
            }
            unresolved = parameters.Where(p => !values.ContainsKey(p.Name)).ToList();
        }

        // (3) Name matching: request metadata first (the user's own data), then the results of completed ancestors, the
        // latest by sorted_index first.
        // Optional parameters only take metadata: an earlier output field that merely shares a name (an HTTP response's
        // "headers", an echo's "data") must not silently replace a task's default.
        foreach (var parameter in unresolved)
        {
            var match = MatchByName(parameter.Name, request.Request.Metadata, parameter.Optional ? [] : sources);
            if (match is not null)
                values[parameter.Name] = match;
        }

        var answerItems = new JsonArray();
        var input = new JsonObject();
        var missing = new List<string>();
        foreach (var parameter in parameters)
        {
            if (values.TryGetValue(parameter.Name, out var resolved))
            {
                input[parameter.Name] = resolved.Value?.DeepClone();
                answerItems.Add(AnswerItem(parameter.Name, resolved.Value, resolved.Explanation));
            }
            else if (parameter.Optional)
            {
                // Left out of the input so the task's own default applies.
                answerItems.Add(AnswerItem(parameter.Name, null, "not resolved; the task's default applies"));
            }
            else
            {
                missing.Add(parameter.Name);
            }
        }
        // Bindings the definition does not list (it changed after the flow was saved): passed on, the task ignores or rejects them.
        foreach (var (name, resolved) in values.Where(v => parameters.All(p => p.Name != v.Key)))
        {
            input[name] = resolved.Value?.DeepClone();
            answerItems.Add(AnswerItem(name, resolved.Value, resolved.Explanation));
        }

        foreach (var name in missing)
        {
            errors.Add($"required parameter '{name}' could not be resolved: no binding, " +
                       (languageModel is null ? "no language model configured, " : "the language model gave no value, ") +
                       "and no request metadata key or ancestor task result field has that name");
        }

        var error = errors.Count == 0
            ? null
            : $"Preparing task '{request.Definition.TaskName}' failed: {string.Join("; ", errors)}.";
        return new PreparedTask(
            input,
            new JsonObject { ["messages"] = new JsonArray(prompt.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content }).ToArray()) },
            new JsonObject { ["parameters"] = answerItems },
            error);
    }

    private sealed record Resolved(JsonNode? Value, string Explanation);

    /// <summary>A completed ancestor whose result may feed this one.</summary>
    private sealed record Source(TaskRun Task);

    private static JsonObject AnswerItem(string name, JsonNode? value, string explanation) =>
        new() { ["name"] = name, ["value"] = value?.DeepClone(), ["explanation"] = explanation };

    /// <summary>Resolves a binding: strings may hold references, objects and arrays are resolved element by element.</summary>
    internal static JsonNode? ResolveBinding(JsonNode? binding, PreparationRequest request, List<string> references, out string? error)
    {
        error = null;
        switch (binding)
        {
            case JsonObject obj:
                {
                    var result = new JsonObject();
                    foreach (var (key, child) in obj)
                    {
                        result[key] = ResolveBinding(child, request, references, out error);
                        if (error is not null)
                            return null;
                    }
                    return result;
                }
            case JsonArray array:
                {
                    var result = new JsonArray();
                    foreach (var child in array)
                    {
                        result.Add(ResolveBinding(child, request, references, out error));
                        if (error is not null)
                            return null;
                    }
                    return result;
                }
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return ResolveString(value.GetValue<string>(), request, references, out error);
            default:
                return binding?.DeepClone();
        }
    }

    private static JsonNode? ResolveString(string text, PreparationRequest request, List<string> references, out string? error)
    {
        var parts = BindingTemplate.Parse(text, out error);
        if (error is not null)
            return null;
        if (parts.All(p => p.Reference is null))
            return JsonValue.Create(text);

        // Exactly one reference and nothing around it: the referenced value keeps its JSON type.
        if (parts is [{ Reference: { } only }])
        {
            references.Add(Describe(only));
            return Lookup(only, request, out error)?.DeepClone();
        }

        var builder = new StringBuilder();
        foreach (var part in parts)
        {
            if (part.Reference is null)
            {
                builder.Append(part.Text);
                continue;
            }
            references.Add(Describe(part.Reference));
            var value = Lookup(part.Reference, request, out error);
            if (error is not null)
                return null;
            builder.Append(TextOf(value));
        }
        return JsonValue.Create(builder.ToString());
    }

    private static JsonNode? Lookup(BindingReference reference, PreparationRequest request, out string? error)
    {
        error = null;
        switch (reference)
        {
            case BindingReference.RequestInstructions:
                return JsonValue.Create(request.Request.Instructions);
            case BindingReference.RequestName:
                return request.Request.Name is null ? null : JsonValue.Create(request.Request.Name);
            case BindingReference.RequestMetadata(var key):
                foreach (var item in request.Request.Metadata.OfType<JsonObject>())
                {
                    if (item.TryGetPropertyValue(key, out var found))
                        return found;
                }
                error = $"{Describe(reference)}: no request metadata object has the key '{key}'";
                return null;
            case BindingReference.TaskResult(var index, var path):
                {
                    var source = request.RunTasks.FirstOrDefault(t => t.TaskOperationIndex == index);
                    if (source is null)
                    {
                        error = $"{Describe(reference)}: the run has no task {index}";
                        return null;
                    }
                    if (source.Status != RunStatus.Completed)
                    {
                        error = $"{Describe(reference)}: task {index} has not completed";
                        return null;
                    }
                    var node = source.Result;
                    foreach (var segment in path)
                    {
                        node = Step(node, segment);
                        if (node is null)
                        {
                            error = $"{Describe(reference)}: the result of task {index} has nothing at '{string.Join('.', path)}'";
                            return null;
                        }
                    }
                    return node;
                }
            default:
                error = $"unsupported reference {reference}";
                return null;
        }
    }

    /// <summary>One dot-path step: an object property, or an array element when the segment is a number.</summary>
    private static JsonNode? Step(JsonNode? node, string segment) => node switch
    {
        JsonObject obj => obj.TryGetPropertyValue(segment, out var child) ? child : null,
        JsonArray array when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < array.Count => array[i],
        _ => null,
    };

    private static string Describe(BindingReference reference) => reference switch
    {
        BindingReference.RequestInstructions => "{{request.instructions}}",
        BindingReference.RequestName => "{{request.name}}",
        BindingReference.RequestMetadata(var key) => $"{{{{request.metadata.{key}}}}}",
        BindingReference.TaskResult(var index, var path) => path.Count == 0
            ? $"{{{{tasks.{index}.result}}}}"
            : $"{{{{tasks.{index}.result.{string.Join('.', path)}}}}}",
        _ => reference.ToString(),
    };

    /// <summary>How a value reads inside text: strings without quotes, null as nothing, anything else as compact JSON.</summary>
    private static string TextOf(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => value.ToJsonString(CompactJson),
    };

    /// <summary>
    /// The completed ancestors of the task, latest first by <c>sorted_index</c> (the flow's topological order). Only
    /// ancestors: a task that is not one may or may not have finished by now depending on which branch ran faster, so
    /// reading it would make the input depend on timing. Latest first: when several ancestors have a field of the wanted
    /// name, the one with the highest <c>sorted_index</c> wins (sorted indexes are unique within a flow, so this is a
    /// total order; the latest ancestor is always a direct parent).
    /// </summary>
    private static List<Source> OrderedSources(PreparationRequest request)
    {
        var byIndex = request.RunTasks.ToDictionary(t => t.TaskOperationIndex);
        var ancestors = new HashSet<int>();
        var pending = new Stack<int>(request.Task.DependsOn);
        while (pending.Count > 0)
        {
            var index = pending.Pop();
            if (!ancestors.Add(index) || !byIndex.TryGetValue(index, out var ancestor))
                continue;
            foreach (var parent in ancestor.DependsOn)
                pending.Push(parent);
        }

        return request.RunTasks
            .Where(t => t.Status == RunStatus.Completed && ancestors.Contains(t.TaskOperationIndex))
            .OrderByDescending(t => t.SortedIndex)
            .ThenByDescending(t => t.TaskOperationIndex)
            .Select(t => new Source(t))
            .ToList();
    }

    private static Resolved? MatchByName(string parameter, JsonArray metadata, List<Source> sources)
    {
        var wanted = NameKey(parameter);
        foreach (var item in metadata.OfType<JsonObject>())
        {
            foreach (var (key, value) in item)
            {
                if (NameKey(key) == wanted)
                    return new Resolved(value?.DeepClone(), $"request metadata key '{key}'");
            }
        }
        foreach (var source in sources)
        {
            if (source.Task.Result is not JsonObject result)
                continue;
            foreach (var (key, value) in result)
            {
                if (NameKey(key) == wanted)
                {
                    return new Resolved(
                        value?.DeepClone(),
                        $"result of task {source.Task.TaskOperationIndex} ({source.Task.OperationName}), field '{key}'");
                }
            }
        }
        return null;
    }

    /// <summary>
    /// Compares names whatever their casing convention: <c>userName</c>, <c>UserName</c>, <c>user_name</c> and
    /// <c>user-name</c> all give <c>username</c>.
    /// </summary>
    internal static string NameKey(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            if (char.IsLetterOrDigit(c))
                builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }

    private static List<PromptMessage> BuildPrompt(
        PreparationRequest request,
        List<ParameterDefinition> parameters,
        Dictionary<string, Resolved> resolved,
        List<ParameterDefinition> unresolved,
        List<Source> sources)
    {
        var task = request.Task;
        var user = new StringBuilder();
        user.AppendLine("## Flow request");
        user.AppendLine(CultureInfo.InvariantCulture, $"Instructions: {request.Request.Instructions}");
        user.AppendLine(CultureInfo.InvariantCulture, $"Name: {request.Request.Name ?? "(none)"}");
        user.AppendLine(CultureInfo.InvariantCulture, $"Metadata: {request.Request.Metadata.ToJsonString(CompactJson)}");
        user.AppendLine();
        user.AppendLine("## Flow");
        user.AppendLine(CultureInfo.InvariantCulture, $"Name: {request.FlowName}");
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
        user.AppendLine();
        user.AppendLine("## Outputs of earlier tasks (this task's ancestors, in flow order)");
        if (sources.Count == 0)
            user.AppendLine("(none)");
        foreach (var source in Enumerable.Reverse(sources))
        {
            var json = source.Task.Result?.ToJsonString(CompactJson) ?? "null";
            if (json.Length > MaxOutputCharsInPrompt)
                json = string.Concat(json.AsSpan(0, MaxOutputCharsInPrompt), "… (truncated)");
            user.AppendLine(CultureInfo.InvariantCulture, $"- task {source.Task.TaskOperationIndex} ({source.Task.OperationName}): {json}");
        }
        user.AppendLine();
        user.AppendLine("## Parameters already bound");
        if (resolved.Count == 0)
            user.AppendLine("(none)");
        foreach (var (name, value) in resolved)
            user.AppendLine(CultureInfo.InvariantCulture, $"- {name} = {value.Value?.ToJsonString(CompactJson) ?? "null"} ({value.Explanation})");
        user.AppendLine();
        user.AppendLine("## Unresolved parameters");
        if (unresolved.Count == 0)
            user.AppendLine("(none)");
        foreach (var p in unresolved)
            user.AppendLine(CultureInfo.InvariantCulture, $"- {p.Name} ({p.DataType}{(p.Optional ? ", optional" : "")})");

        return [new PromptMessage("system", SystemPrompt), new PromptMessage("user", user.ToString().TrimEnd())];
    }
}
