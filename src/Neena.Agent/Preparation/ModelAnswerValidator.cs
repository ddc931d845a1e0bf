using System.Text.Json;
using System.Text.Json.Nodes;
using Neena.Agent.LanguageModel;
using Neena.Domain.Catalogue;
using Neena.Domain.Common;

namespace Neena.Agent.Preparation;

/// <summary>One value the model gave, checked against its parameter.</summary>
internal sealed record ModelValue(string Name, JsonNode? Value, string Explanation);

/// <summary>
/// Checks a <c>task_parameters</c> answer against the parameters that were asked for: names among them, no duplicates,
/// values of the declared data types, every required one present. Problems are phrased for the re-ask and the task's error.
/// </summary>
internal static class ModelAnswerValidator
{
    public static (IReadOnlyList<ModelValue> Values, IReadOnlyList<string> Problems) Validate(ModelAnswer answer, IReadOnlyList<ParameterDefinition> asked)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (answer.Json is not JsonObject root)
            return ([], [answer.ParseError ?? "the answer is not a JSON object"]);
        if (root["parameters"] is not JsonArray items)
            return ([], ["the answer has no \"parameters\" array"]);

        var values = new List<ModelValue>();
        var problems = new List<string>();
        var byName = asked.ToDictionary(p => p.Name, StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not JsonObject item || item["name"] is not JsonValue nameNode || nameNode.GetValueKind() != JsonValueKind.String)
            {
                problems.Add($"parameters[{i}] is not an object with a string \"name\"");
                continue;
            }
            var name = nameNode.GetValue<string>();
            if (!byName.TryGetValue(name, out var parameter))
            {
                problems.Add($"'{name}' is not one of the unresolved parameters ({string.Join(", ", asked.Select(p => p.Name))})");
                continue;
            }
            if (values.Any(v => v.Name == name))
            {
                problems.Add($"'{name}' is given more than once");
                continue;
            }
            var value = item["value"];
            if (value is null)
            {
                // An optional parameter may be declined; its task default applies.
                if (!parameter.Optional)
                    problems.Add($"'{name}' is required and must not be null");
                continue;
            }
            if (JsonDepth.Exceeds(value))
            {
                problems.Add($"'{name}' nests deeper than {JsonDepth.MaxStored} levels of objects and arrays");
                continue;
            }
            if (!HasType(value, parameter.DataType))
            {
                problems.Add($"'{name}' must be of type {parameter.DataType}, not {KindOf(value)}");
                continue;
            }
            var explanation = item["explanation"] is JsonValue e && e.GetValueKind() == JsonValueKind.String ? e.GetValue<string>() : "";
            values.Add(new ModelValue(name, value.DeepClone(), explanation));
        }
        foreach (var missing in asked.Where(p => !p.Optional && values.All(v => v.Name != p.Name)))
        {
            if (!problems.Any(p => p.StartsWith($"'{missing.Name}'", StringComparison.Ordinal)))
                problems.Add($"required parameter '{missing.Name}' ({missing.DataType}) has no value");
        }
        return (values, problems);
    }

    /// <summary>The catalogue's data types (see the integrations' type schema); unknown ones accept any value.</summary>
    internal static bool HasType(JsonNode value, string dataType)
    {
        var kind = value.GetValueKind();
        return dataType switch
        {
            "string" => kind == JsonValueKind.String,
            "integer" => kind == JsonValueKind.Number && value.AsValue().TryGetValue<decimal>(out var d) && decimal.Truncate(d) == d,
            "number" => kind == JsonValueKind.Number,
            "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
            "array" => kind == JsonValueKind.Array,
            "object" => kind == JsonValueKind.Object,
            "datetime" => kind == JsonValueKind.String && DateTimeOffset.TryParse(value.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _),
            "uuid" => kind == JsonValueKind.String && Guid.TryParse(value.GetValue<string>(), out _),
            _ => true,
        };
    }

    private static string KindOf(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Array => "array",
        JsonValueKind.Object => "object",
        _ => "null",
    };
}
