using System.Text.Json.Nodes;
using Neena.Agent.Preparation;

namespace Neena.Agent.Planning;

/// <summary>
/// Where in a request's metadata a value of a given name is, for the planner without a model. A webhook's request holds its
/// event one level down (the generic Incoming Webhook's metadata is <c>[{"payload": {…}}]</c>), so fields below the top level
/// count too, reached by <c>{{request.metadata.KEY.PATH}}</c>.
/// </summary>
internal static class MetadataFields
{
    /// <summary>How deep below a metadata key the search goes: deeper fields are too incidental to bind by name alone.</summary>
    private const int MaxDepth = 3;

    /// <summary>Whether preparation's name matching (<see cref="NameMatcher"/>) fills the name from a top-level metadata key.</summary>
    public static bool MatchesTopLevel(JsonArray metadata, string name) =>
        metadata.OfType<JsonObject>().Any(item => item.Any(p => NameMatcher.NameKey(p.Key) == NameMatcher.NameKey(name)));

    /// <summary>
    /// The path (metadata key first) of a field of that name below the top level: breadth first, so the shallowest wins, then
    /// the first metadata object, then document order. Only keys a binding can name (no dots or braces) are followed.
    /// </summary>
    public static IReadOnlyList<string>? FindNested(JsonArray metadata, string name)
    {
        var wanted = NameMatcher.NameKey(name);
        var level = new List<(JsonObject Node, List<string> Path)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in metadata.OfType<JsonObject>())
        {
            foreach (var (key, value) in item)
            {
                // A binding reads KEY from the first object holding it: a later object's KEY is unreachable.
                if (seen.Add(key) && value is JsonObject child && IsPlainKey(key))
                    level.Add((child, [key]));
            }
        }
        for (var depth = 1; depth <= MaxDepth && level.Count > 0; depth++)
        {
            var next = new List<(JsonObject Node, List<string> Path)>();
            foreach (var (node, path) in level)
            {
                foreach (var (key, value) in node)
                {
                    if (!IsPlainKey(key))
                        continue;
                    if (NameMatcher.NameKey(key) == wanted)
                        return [.. path, key];
                    if (value is JsonObject child)
                        next.Add((child, [.. path, key]));
                }
            }
            level = next;
        }
        return null;
    }

    /// <summary>Keys that a <c>{{request.metadata.KEY.PATH}}</c> reference can name (no dots or braces).</summary>
    public static bool IsPlainKey(string key) => key.Length > 0 && key.All(c => char.IsLetterOrDigit(c) || c is '_' or '-');
}
