using System.Globalization;
using System.Text.Json.Nodes;
using Neena.Domain.Common;
using Neena.Integrations;

namespace Neena.Engine;

/// <summary>
/// A task's output must be storable as PostgreSQL jsonb before it is written: jsonb refuses U+0000 and unpaired
/// surrogates, and a failed write would look like a database outage (the run handed back and claimed again and again)
/// instead of what it is, an output this task can never record. The API refuses such values in requests (422); this is
/// the same rule for what integrations return, such as an HTTP response body. So is the depth limit
/// (<see cref="JsonDepth.MaxStored"/>): an output nested deeper would be stored and then break every read of the run.
/// </summary>
internal static class StorableOutput
{
    /// <exception cref="TaskFailedException">The output holds a string or property name jsonb cannot store.</exception>
    public static void Ensure(JsonNode? output)
    {
        if (JsonDepth.Exceeds(output))
            throw new TaskFailedException($"The task's output cannot be stored: it nests deeper than {JsonDepth.MaxStored} levels of JSON objects and arrays.");
        if (Problem(output, "$") is { } problem)
            throw new TaskFailedException($"The task's output cannot be stored: {problem}.");
    }

    private static string? Problem(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    if (TextProblem(name) is { } nameProblem)
                        return $"a property name at {path} {nameProblem}";
                    if (Problem(value, path + "." + name) is { } inner)
                        return inner;
                }
                return null;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (Problem(array[i], path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]") is { } inner)
                        return inner;
                }
                return null;
            case JsonValue value when value.TryGetValue<string>(out var text):
                return TextProblem(text) is { } textProblem ? $"the string at {path} {textProblem}" : null;
            case JsonValue value when value.TryGetValue<double>(out var number) && !double.IsFinite(number):
                return $"the number at {path} is not finite";
            default:
                return null;
        }
    }

    private static string? TextProblem(string text)
    {
        if (text.Contains('\0', StringComparison.Ordinal))
            return "contains a NUL character (U+0000)";
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                i++;
            else if (char.IsSurrogate(text[i]))
                return "contains an unpaired surrogate";
        }
        return null;
    }
}
