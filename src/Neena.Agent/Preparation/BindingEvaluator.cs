using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Neena.Domain.FlowRuns;
using Neena.Domain.Flows;

namespace Neena.Agent.Preparation;

/// <summary>Step (1) of preparation: evaluates an operation's explicit bindings (literals and <c>{{…}}</c> references).</summary>
internal static class BindingEvaluator
{
    private static readonly JsonSerializerOptions CompactJson = PreparationJson.Compact;

    /// <summary>Resolves a binding: strings may hold references, objects and arrays are resolved element by element.</summary>
    public static JsonNode? Resolve(JsonNode? binding, PreparationRequest request, List<string> references, out string? error)
    {
        error = null;
        switch (binding)
        {
            case JsonObject obj:
                {
                    var result = new JsonObject();
                    foreach (var (key, child) in obj)
                    {
                        result[key] = Resolve(child, request, references, out error);
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
                        result.Add(Resolve(child, request, references, out error));
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
            case BindingReference.RequestMetadata(var key, var metadataPath):
                foreach (var item in request.Request.Metadata.OfType<JsonObject>())
                {
                    if (!item.TryGetPropertyValue(key, out var found))
                        continue;
                    // The first object holding KEY decides, as without a path: a later object is another record, not a fallback.
                    if (metadataPath.Count == 0)
                        return found;
                    return ForEachItems.Step(found, metadataPath)
                        ?? Missing(out error, $"{Describe(reference)}: request metadata '{key}' has nothing at '{string.Join('.', metadataPath)}'");
                }
                error = $"{Describe(reference)}: no request metadata object has the key '{key}'";
                return null;
            case BindingReference.Item(var itemPath):
                if (request.Item is not { } forEachItem)
                {
                    error = $"{Describe(reference)}: only a for_each task has an item";
                    return null;
                }
                return ForEachItems.Step(forEachItem.Value, itemPath) is { } atPath ? atPath
                    : itemPath.Count == 0 ? null
                    : Missing(out error, $"{Describe(reference)}: item {forEachItem.Index} has nothing at '{string.Join('.', itemPath)}'");
            case BindingReference.ItemIndex:
                if (request.Item is not { } current)
                {
                    error = $"{Describe(reference)}: only a for_each task has an item";
                    return null;
                }
                return JsonValue.Create(current.Index);
            case BindingReference.TaskResult(var index, var path):
                {
                    var source = request.RunTasks.FirstOrDefault(t => t.TaskOperationIndex == index);
                    if (source is null)
                    {
                        error = $"{Describe(reference)}: the run has no task {index}";
                        return null;
                    }
                    // A skipped branch or a tolerated failure (issue 20) ended without a result: it reads as nothing, so an
                    // any join can name every branch and get the taken one's output.
                    if (source.Status == TaskRunStatus.Skipped || TaskDecisions.IsToleratedFailure(source))
                        return null;
                    if (!TaskRunConditions.Completed.Matches(source))
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
            case BindingReference.TaskStatus(var index):
                return RunTask(reference, index, request, out error) is { } withStatus ? JsonValue.Create(withStatus.Status) : null;
            case BindingReference.TaskError(var index):
                // Null unless it failed: a fallback's message may name the error of a tolerated failure (issue 20).
                return RunTask(reference, index, request, out error)?.Error is { } message ? JsonValue.Create(message) : null;
            default:
                error = $"unsupported reference {reference}";
                return null;
        }
    }

    private static JsonNode? Missing(out string error, string message)
    {
        error = message;
        return null;
    }

    private static TaskRun? RunTask(BindingReference reference, int index, PreparationRequest request, out string? error)
    {
        var task = request.RunTasks.FirstOrDefault(t => t.TaskOperationIndex == index);
        error = task is null ? $"{Describe(reference)}: the run has no task {index}" : null;
        return task;
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
        BindingReference.RequestMetadata(var key, var path) => path.Count == 0
            ? $"{{{{request.metadata.{key}}}}}"
            : $"{{{{request.metadata.{key}.{string.Join('.', path)}}}}}",
        BindingReference.TaskResult(var index, var path) => path.Count == 0
            ? $"{{{{tasks.{index}.result}}}}"
            : $"{{{{tasks.{index}.result.{string.Join('.', path)}}}}}",
        BindingReference.Item(var path) => path.Count == 0 ? "{{item}}" : $"{{{{item.{string.Join('.', path)}}}}}",
        BindingReference.ItemIndex => "{{item_index}}",
        BindingReference.TaskStatus(var index) => $"{{{{tasks.{index}.status}}}}",
        BindingReference.TaskError(var index) => $"{{{{tasks.{index}.error}}}}",
        _ => reference.ToString(),
    };

    /// <summary>How a value reads inside text: strings without quotes, null as nothing, anything else as compact JSON.</summary>
    private static string TextOf(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => value.ToJsonString(CompactJson),
    };
}
