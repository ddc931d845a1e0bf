using System.Text.RegularExpressions;

namespace Neena.Domain.Flows;

/// <summary>A <c>{{ … }}</c> reference inside a task operation's parameter binding.</summary>
public abstract record BindingReference
{
    public sealed record RequestInstructions : BindingReference;
    public sealed record RequestName : BindingReference;
    /// <summary>
    /// <c>request.metadata.KEY[.PATH]</c>: the first metadata object holding KEY, then a dot path into its value (numeric
    /// segments index arrays).
    /// </summary>
    public sealed record RequestMetadata(string Key, IReadOnlyList<string> Path) : BindingReference;

    /// <summary><c>tasks.INDEX.result.PATH</c>: a dot path into an earlier task's result (numeric segments index arrays).</summary>
    public sealed record TaskResult(int TaskIndex, IReadOnlyList<string> Path) : BindingReference;

    /// <summary><c>tasks.INDEX.status</c>: how an earlier task ended (<c>completed</c>, <c>failed</c>, <c>skipped</c>; issue 20).</summary>
    public sealed record TaskStatus(int TaskIndex) : BindingReference;

    /// <summary><c>tasks.INDEX.error</c>: an earlier task's error, null unless it failed (issue 20).</summary>
    public sealed record TaskError(int TaskIndex) : BindingReference;

    /// <summary><c>item</c> or <c>item.PATH</c>: the current item of a <c>for_each</c> task (issue 20).</summary>
    public sealed record Item(IReadOnlyList<string> Path) : BindingReference;

    /// <summary><c>item_index</c>: the current item's place (from 0) in a <c>for_each</c> task's array (issue 20).</summary>
    public sealed record ItemIndex : BindingReference;

    /// <summary>Whether it names the current item of a <c>for_each</c> task.</summary>
    public bool IsItem => this is Item or ItemIndex;

    /// <summary>The operation index a task reference names; null for the request's references.</summary>
    public int? ReferencedTask => this switch
    {
        TaskResult r => r.TaskIndex,
        TaskStatus s => s.TaskIndex,
        TaskError e => e.TaskIndex,
        _ => null,
    };
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
                error ??= $"unknown reference '{{{{{expression}}}}}'; expected request.instructions, request.name, request.metadata.KEY[.PATH] or tasks.INDEX.result[.PATH]";
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
            case ["request", "metadata", var key, .. var metadataPath] when key.Length > 0 && metadataPath.All(p => p.Length > 0):
                return new BindingReference.RequestMetadata(key, metadataPath);
            case ["tasks", var index, "result", .. var path]
                when int.TryParse(index, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var taskIndex)
                     && path.All(p => p.Length > 0):
                return new BindingReference.TaskResult(taskIndex, path);
            case ["tasks", var index, "status"]
                when int.TryParse(index, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var taskIndex):
                return new BindingReference.TaskStatus(taskIndex);
            case ["tasks", var index, "error"]
                when int.TryParse(index, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var taskIndex):
                return new BindingReference.TaskError(taskIndex);
            case ["item", .. var itemPath] when itemPath.All(p => p.Length > 0):
                return new BindingReference.Item(itemPath);
            case ["item_index"]:
                return new BindingReference.ItemIndex();
            default:
                return null;
        }
    }

    [GeneratedRegex(@"\{\{(?<expr>[^{}]*)\}\}")]
    private static partial Regex Reference();
}
