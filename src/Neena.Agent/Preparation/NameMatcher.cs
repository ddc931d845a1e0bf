using System.Text;
using System.Text.Json.Nodes;
using Neena.Domain.FlowRuns;

namespace Neena.Agent.Preparation;

/// <summary>
/// Step (3) of preparation, without a model: an unresolved parameter takes a request metadata key or a field of a
/// completed ancestor's result of the same name.
/// </summary>
internal static class NameMatcher
{
    /// <param name="sources">Completed ancestors, latest first: the first one with the field wins.</param>
    public static Resolved? Match(string parameter, JsonArray metadata, IReadOnlyList<TaskRun> sources)
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
            if (source.Result is not JsonObject result)
                continue;
            foreach (var (key, value) in result)
            {
                if (NameKey(key) == wanted)
                {
                    return new Resolved(
                        value?.DeepClone(),
                        $"result of task {source.TaskOperationIndex} ({source.OperationName}), field '{key}'");
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
}
