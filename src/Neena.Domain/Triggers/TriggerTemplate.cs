using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Neena.Domain.Common;

namespace Neena.Domain.Triggers;

/// <summary>
/// A trigger operation's <c>template_body</c>: text with <c>&lt;{field}&gt;</c> and <c>{{ field }}</c> placeholders naming the
/// event fields of its trigger definition. The API checks the names when an operation is written; the receiver renders each
/// delivery's fields into it to make the flow request's instructions. One parser for both, so they cannot disagree.
/// </summary>
public static partial class TriggerTemplate
{
    // A name is anything up to the closing braces without whitespace or braces, so that a near miss such as {{card.id}}
    // is reported as an unknown field rather than left in the text unnoticed. Only {{ }} allows padding, as Jinja-style
    // templates do; <{field}> is the original's exact form.
    [GeneratedRegex(@"<\{(?<angle>[^{}<>\s]+)\}>|\{\{\s*(?<brace>[^{}<>\s]+)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex PlaceholderPattern();

    // Instructions are plain text for people and the model, not HTML: non-ASCII stays readable.
    private static readonly JsonSerializerOptions TextOptions = new() { MaxDepth = JsonDepth.MaxDocument, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The field names the template refers to, each once, in order of first appearance.</summary>
    public static IReadOnlyList<string> Placeholders(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var names = new List<string>();
        foreach (Match match in PlaceholderPattern().Matches(template))
        {
            var name = NameOf(match);
            if (!names.Contains(name, StringComparer.Ordinal))
                names.Add(name);
        }

        return names;
    }

    /// <summary>
    /// The template with every placeholder replaced by its field's value; a field that is missing or null renders as
    /// nothing. Values are inserted in one pass, so a value that itself looks like a placeholder stays as it is.
    /// </summary>
    public static string Render(string template, IReadOnlyDictionary<string, string?> values)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        return PlaceholderPattern().Replace(template, match => values.TryGetValue(NameOf(match), out var value) ? value ?? "" : "");
    }

    /// <summary>Event fields as extracted from a delivery (name → JSON value), as the text <see cref="Render"/> inserts.</summary>
    public static IReadOnlyDictionary<string, string?> Values(JsonObject fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, node) in fields)
            values[name] = Text(node);
        return values;
    }

    /// <summary>A JSON value as template text: a string as itself (no quotes), anything else as its compact JSON; null stays null.</summary>
    public static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => node.ToJsonString(TextOptions),
    };

    private static string NameOf(Match match) =>
        match.Groups["angle"].Success ? match.Groups["angle"].Value : match.Groups["brace"].Value;
}
