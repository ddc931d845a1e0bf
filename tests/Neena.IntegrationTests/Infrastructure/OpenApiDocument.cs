using System.Globalization;
using System.Text.Json.Nodes;

namespace Neena.IntegrationTests.Infrastructure;

/// <summary>One operation of an OpenAPI document: its method, path, parameters and JSON body schema (null when it has none).</summary>
public sealed record ApiOperation(string Method, string Path, IReadOnlyList<ApiParameter> Parameters, JsonObject? BodySchema)
{
    public override string ToString() => $"{Method} {Path}";
}

public sealed record ApiParameter(string Name, string In, bool Required, JsonObject Schema);

/// <summary>A field of a body schema: where it is (property names and array indexes) and its schema.</summary>
public sealed record SchemaField(IReadOnlyList<object> Path, JsonObject Schema)
{
    public string Location => string.Join('.', Path);
}

/// <summary>
/// Reads an OpenAPI 3.x document generically: resolves <c>$ref</c>, merges <c>allOf</c>, picks the first non-null
/// branch of <c>oneOf</c>/<c>anyOf</c>, and understands both <c>nullable</c> and 3.1 type arrays, so that tests walk
/// whatever the document says instead of hard-coding schema names.
/// </summary>
public sealed class OpenApiDocument(JsonNode document)
{
    private static readonly string[] Methods = ["get", "post", "put", "patch", "delete"];

    public IReadOnlyList<ApiOperation> Operations()
    {
        var operations = new List<ApiOperation>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            var shared = item!["parameters"]?.AsArray() ?? [];
            foreach (var (method, operation) in item.AsObject())
            {
                if (!Methods.Contains(method))
                    continue;
                var parameters = shared.Concat(operation!["parameters"]?.AsArray() ?? [])
                    .Select(p => Resolve(p!.AsObject()))
                    .Select(p => new ApiParameter(
                        p["name"]!.GetValue<string>(),
                        p["in"]!.GetValue<string>(),
                        p["required"]?.GetValue<bool>() ?? false,
                        Resolve(p["schema"]?.AsObject() ?? [])))
                    .ToList();
                var content = operation["requestBody"] is JsonObject body ? Resolve(body)["content"]?.AsObject() : null;
                var json = content?.FirstOrDefault(c => c.Key.Contains("json", StringComparison.OrdinalIgnoreCase)).Value;
                operations.Add(new ApiOperation(method.ToUpperInvariant(), path, parameters, json?["schema"] is JsonObject schema ? Resolve(schema) : null));
            }
        }
        return operations;
    }

    /// <summary>The schema with its <c>$ref</c> followed, <c>allOf</c> merged and the first non-null <c>oneOf</c>/<c>anyOf</c> branch taken.</summary>
    public JsonObject Resolve(JsonObject schema)
    {
        for (var hops = 0; schema["$ref"] is JsonValue reference && hops < 32; hops++)
            schema = Pointer(reference.GetValue<string>());
        var merged = (JsonObject)schema.DeepClone();
        foreach (var key in new[] { "oneOf", "anyOf" })
        {
            if (merged[key] is JsonArray branches)
            {
                merged.Remove(key);
                var branch = branches.Select(b => Resolve(b!.AsObject())).FirstOrDefault(b => TypeOf(b) != "null");
                if (branch is not null)
                    Merge(merged, branch);
            }
        }
        if (merged["allOf"] is JsonArray parts)
        {
            merged.Remove("allOf");
            foreach (var part in parts)
                Merge(merged, Resolve(part!.AsObject()));
        }
        return merged;
    }

    /// <summary>The reference a schema names, so that recursion (a JSON tree's <c>parent</c>) can be told from depth.</summary>
    public static string? ReferenceOf(JsonObject schema) => schema["$ref"]?.GetValue<string>();

    /// <summary><c>string</c>, <c>integer</c>, <c>number</c>, <c>boolean</c>, <c>array</c>, <c>object</c>, or null when the schema allows anything.</summary>
    public static string? TypeOf(JsonObject schema)
    {
        switch (schema["type"])
        {
            case JsonValue value:
                return value.GetValue<string>();
            case JsonArray types:
                return types.Select(t => t!.GetValue<string>()).FirstOrDefault(t => t != "null") ?? "null";
            default:
                if (schema["properties"] is not null || schema["additionalProperties"] is not null)
                    return "object";
                return schema["items"] is not null ? "array" : null;
        }
    }

    /// <summary>Every field of <paramref name="schema"/> to put a hostile value in: properties, array items, nested to a few levels.</summary>
    public IReadOnlyList<SchemaField> Fields(JsonObject schema, int maxDepth = 6)
    {
        var fields = new List<SchemaField>();
        Walk(schema, [], [], fields, maxDepth);
        return fields;
    }

    private void Walk(JsonObject raw, List<object> path, HashSet<string> seen, List<SchemaField> fields, int depth)
    {
        var reference = ReferenceOf(raw);
        var schema = Resolve(raw);
        if (path.Count > 0)
            fields.Add(new SchemaField(path.ToList(), schema));
        // A schema that contains itself (a JSON tree's "parent") is walked once per branch.
        if (depth == 0 || (reference is not null && !seen.Add(reference)))
            return;
        switch (TypeOf(schema))
        {
            case "object" when schema["properties"] is JsonObject properties:
                foreach (var (name, property) in properties)
                {
                    if (property is JsonObject p && Resolve(p)["readOnly"]?.GetValue<bool>() != true)
                        Walk(p, [.. path, name], seen, fields, depth - 1);
                }
                break;
            case "array" when schema["items"] is JsonObject items:
                Walk(items, [.. path, 0], seen, fields, depth - 1);
                break;
            default:
                break;
        }
        if (reference is not null)
            seen.Remove(reference);
    }

    /// <summary>A value the schema accepts: its example or default when it has one, else one made from its type; ids come from <paramref name="idFor"/>.</summary>
    public JsonNode? Sample(JsonObject raw, string? name, Func<string?, Guid> idFor, int depth = 6, HashSet<string>? seen = null)
    {
        seen ??= [];
        var reference = ReferenceOf(raw);
        var schema = Resolve(raw);
        if (reference is not null && !seen.Add(reference))
            return TypeOf(schema) == "array" ? new JsonArray() : TypeOf(schema) == "object" ? new JsonObject() : null;
        try
        {
            var type = TypeOf(schema);
            if (type == "string" && (schema["format"]?.GetValue<string>() == "uuid" || (name is not null && name.EndsWith("_id", StringComparison.Ordinal))))
                return idFor(name).ToString();
            if (schema["example"] is { } example && type is not ("object" or "array"))
                return example.DeepClone();
            if (schema["default"] is { } fallback && fallback.GetValueKind() != System.Text.Json.JsonValueKind.Null)
                return fallback.DeepClone();
            if (schema["enum"] is JsonArray values && values.FirstOrDefault(v => v is not null) is { } first)
                return first.DeepClone();
            switch (type)
            {
                case "string":
                    return (name == "email" ? "email" : schema["format"]?.GetValue<string>()) switch
                    {
                        "date-time" => "2030-01-02T03:04:05Z",
                        "date" => "2030-01-02",
                        "email" => "fuzz@example.com",
                        "uri" => "https://example.com/",
                        _ => Text(schema),
                    };
                case "integer":
                    return schema["minimum"]?.GetValue<long>() ?? 0;
                case "number":
                    return 1.5;
                case "boolean":
                    return true;
                case "array":
                    return depth <= 0 || schema["items"] is not JsonObject items
                        ? new JsonArray()
                        : new JsonArray(Sample(items, null, idFor, depth - 1, seen));
                case "object":
                    var result = new JsonObject();
                    if (depth > 0 && schema["properties"] is JsonObject properties)
                    {
                        foreach (var (property, propertySchema) in properties)
                        {
                            if (propertySchema is JsonObject p && Resolve(p)["readOnly"]?.GetValue<bool>() != true)
                                result[property] = Sample(p, property, idFor, depth - 1, seen);
                        }
                    }
                    return result;
                default:
                    return new JsonObject();
            }
        }
        finally
        {
            if (reference is not null)
                seen.Remove(reference);
        }
    }

    private static string Text(JsonObject schema)
    {
        var text = "fuzz value text";
        var min = schema["minLength"]?.GetValue<int>() ?? 0;
        var max = schema["maxLength"]?.GetValue<int>() ?? int.MaxValue;
        if (text.Length < min)
            text = text.PadRight(min, 'x');
        return text.Length > max ? text[..max] : text;
    }

    private static void Merge(JsonObject into, JsonObject from)
    {
        foreach (var (key, value) in from)
        {
            if (key == "properties" && into["properties"] is JsonObject properties && value is JsonObject more)
            {
                foreach (var (name, property) in more)
                    properties[name] = property?.DeepClone();
            }
            else if (key == "required" && into["required"] is JsonArray required && value is JsonArray moreRequired)
            {
                foreach (var name in moreRequired)
                    required.Add(name?.DeepClone());
            }
            else if (!into.ContainsKey(key))
            {
                into[key] = value?.DeepClone();
            }
        }
    }

    private JsonObject Pointer(string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
            throw new NotSupportedException($"Only local references are supported: {reference}");
        JsonNode node = document;
        foreach (var segment in reference[2..].Split('/'))
        {
            var key = segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node is JsonArray array ? array[int.Parse(key, CultureInfo.InvariantCulture)]! : node[key]!;
        }
        return node.AsObject();
    }
}
