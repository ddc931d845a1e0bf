using System.Text.RegularExpressions;

namespace Neena.Domain.Flows;

/// <summary>A <c>{{ … }}</c> reference inside a task operation's parameter binding.</summary>
public abstract record BindingReference
{
    public sealed record RequestInstructions : BindingReference;
    public sealed record RequestName : BindingReference;
    public sealed record RequestMetadata(string Key) : BindingReference;

    /// <summary><c>tasks.INDEX.result.PATH</c>: a dot path into an earlier task's result (numeric segments index arrays).</summary>
    public sealed record TaskResult(int TaskIndex, IReadOnlyList<string> Path) : BindingReference;
}

/// <summary>Parses binding strings: a value that is exactly one reference keeps the referenced JSON type; references inside longer text interpolate as text.</summary>
public static partial class BindingTemplate
{
    public sealed record Part(string? Text, BindingReference? Reference);

    /// <summary>True when <paramref name="value"/> holds at least one reference; <paramref name="error"/> names the first malformed one.</summary>
    public static IReadOnlyList<Part> Parse(string value, out string? error)
    {
        error = null;
        var parts = new List<Part>();
        var last = 0;
        foreach (Match match in Reference().Matches(value))
        {
            if (match.Index > last)
                parts.Add(new Part(value[last..match.Index], null));
            var expression = match.Groups["expr"].Value.Trim();
            var reference = ParseReference(expression);
            if (reference is null)
            {
                error ??= $"unknown reference '{{{{{expression}}}}}'; expected request.instructions, request.name, request.metadata.KEY or tasks.INDEX.result[.PATH]";
                parts.Add(new Part(match.Value, null));
            }
            else
            {
                parts.Add(new Part(null, reference));
            }
            last = match.Index + match.Length;
        }
        if (last < value.Length)
            parts.Add(new Part(value[last..], null));
        return parts;
    }

    public static BindingReference? ParseReference(string expression)
    {
        var segments = expression.Split('.');
        switch (segments)
        {
            case ["request", "instructions"]:
                return new BindingReference.RequestInstructions();
            case ["request", "name"]:
                return new BindingReference.RequestName();
            case ["request", "metadata", var key] when key.Length > 0:
                return new BindingReference.RequestMetadata(key);
            case ["tasks", var index, "result", .. var path]
                when int.TryParse(index, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var taskIndex)
                     && path.All(p => p.Length > 0):
                return new BindingReference.TaskResult(taskIndex, path);
            default:
                return null;
        }
    }

    [GeneratedRegex(@"\{\{(?<expr>[^{}]*)\}\}")]
    private static partial Regex Reference();
}
