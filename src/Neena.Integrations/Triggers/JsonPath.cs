using System.Globalization;
using System.Text.Json.Nodes;

namespace Neena.Integrations.Triggers;

/// <summary>
/// The small part of JSONPath that event fields need: the root <c>$</c>, member access (<c>.name</c> or <c>['name']</c>)
/// and array indexes (<c>[0]</c>). Paths are parsed when the catalogue is built, so a typo fails start-up rather than a
/// delivery.
/// </summary>
public sealed class JsonPath
{
    private readonly IReadOnlyList<object> _segments;

    private JsonPath(string text, IReadOnlyList<object> segments)
    {
        Text = text;
        _segments = segments;
    }

    public string Text { get; }

    /// <exception cref="FormatException">The text is not a path of this subset.</exception>
    public static JsonPath Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.StartsWith('$'))
            throw new FormatException($"JSON path '{text}' must start with '$'.");
        var segments = new List<object>();
        var i = 1;
        while (i < text.Length)
        {
            if (text[i] == '.')
            {
                var start = ++i;
                while (i < text.Length && text[i] != '.' && text[i] != '[')
                    i++;
                if (i == start)
                    throw new FormatException($"JSON path '{text}' has an empty member name at position {start}.");
                segments.Add(text[start..i]);
            }
            else if (text[i] == '[')
            {
                var close = text.IndexOf(']', i);
                if (close < 0)
                    throw new FormatException($"JSON path '{text}' has an unclosed '['.");
                var inner = text[(i + 1)..close];
                if (inner.Length >= 2 && inner[0] == '\'' && inner[^1] == '\'')
                    segments.Add(inner[1..^1]);
                else if (int.TryParse(inner, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                    segments.Add(index);
                else
                    throw new FormatException($"JSON path '{text}' has '[{inner}]', which is neither an index nor a quoted name.");
                i = close + 1;
            }
            else
            {
                throw new FormatException($"JSON path '{text}' has an unexpected '{text[i]}' at position {i}.");
            }
        }

        return new JsonPath(text, segments);
    }

    /// <summary>The value at the path, or null when any step is missing (a missing field is not an error here).</summary>
    public JsonNode? Select(JsonNode? root)
    {
        var current = root;
        foreach (var segment in _segments)
        {
            current = (segment, current) switch
            {
                (string name, JsonObject o) => o[name],
                (int index, JsonArray a) when index < a.Count => a[index],
                _ => null,
            };
            if (current is null)
                return null;
        }

        return current;
    }
}
