using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Neena.Domain.Flows;

/// <summary>One test of a condition: <c>{left, op, right}</c>; each side a JSON literal or a binding string.</summary>
public sealed record ConditionTest(JsonNode? Left, string Op, JsonNode? Right);

/// <summary>
/// A dependency's condition (issue 20): an OR of ANDs, <c>{"any": [{"all": [{left, op, right}]}]}</c>. The edge is taken
/// when at least one group has every test true.
/// </summary>
public sealed record DependencyCondition(IReadOnlyList<IReadOnlyList<ConditionTest>> Any)
{
    /// <summary>At most this many groups, and this many tests in a group.</summary>
    public const int MaxGroups = 20;

    public const int MaxTests = 20;

    /// <summary>Whether the edge is taken, with <paramref name="resolve"/> turning each side (literal or binding) into its value.</summary>
    public bool Evaluate(Func<JsonNode?, JsonNode?> resolve)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        return Any.Any(group => group.All(t => ConditionOps.Evaluate(t.Op, resolve(t.Left), resolve(t.Right))));
    }

    /// <summary>
    /// Reads the stored or sent form; <paramref name="problems"/> gets every problem, located under <paramref name="location"/>
    /// as the API's 422 keys are. Null when there is a problem.
    /// </summary>
    public static DependencyCondition? Parse(JsonObject condition, string location, List<FlowProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(problems);
        var before = problems.Count;
        foreach (var (key, _) in condition)
        {
            if (key != "any")
                problems.Add(new($"{location}.{key}", "extra fields not permitted"));
        }
        if (condition["any"] is not JsonArray any)
        {
            problems.Add(new($"{location}.any", "field required; an array of groups {\"all\": [...]}"));
            return null;
        }
        if (any.Count is 0 or > MaxGroups)
            problems.Add(new($"{location}.any", $"ensure this value has 1 to {MaxGroups} items"));
        var groups = new List<IReadOnlyList<ConditionTest>>();
        for (var g = 0; g < any.Count && g < MaxGroups; g++)
        {
            var groupLocation = $"{location}.any.{g}";
            if (any[g] is not JsonObject group || group["all"] is not JsonArray all)
            {
                problems.Add(new(groupLocation, "expected an object {\"all\": [...]}"));
                continue;
            }
            foreach (var (key, _) in group)
            {
                if (key != "all")
                    problems.Add(new($"{groupLocation}.{key}", "extra fields not permitted"));
            }
            if (all.Count is 0 or > MaxTests)
                problems.Add(new($"{groupLocation}.all", $"ensure this value has 1 to {MaxTests} items"));
            var tests = new List<ConditionTest>();
            for (var t = 0; t < all.Count && t < MaxTests; t++)
            {
                var testLocation = $"{groupLocation}.all.{t}";
                if (all[t] is not JsonObject test)
                {
                    problems.Add(new(testLocation, "expected an object {left, op, right}"));
                    continue;
                }
                foreach (var (key, _) in test)
                {
                    if (key is not ("left" or "op" or "right"))
                        problems.Add(new($"{testLocation}.{key}", "extra fields not permitted"));
                }
                if (!test.ContainsKey("left"))
                    problems.Add(new($"{testLocation}.left", "field required"));
                var op = test["op"] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
                if (op is null || !ConditionOps.All.Contains(op))
                {
                    problems.Add(new($"{testLocation}.op", $"unexpected value; permitted: {string.Join(", ", ConditionOps.All.Select(o => $"'{o}'"))}"));
                    continue;
                }
                if (!ConditionOps.IsUnary(op) && !test.ContainsKey("right"))
                    problems.Add(new($"{testLocation}.right", $"field required for '{op}'"));
                tests.Add(new ConditionTest(test["left"]?.DeepClone(), op, test["right"]?.DeepClone()));
            }
            groups.Add(tests);
        }
        return problems.Count > before ? null : new DependencyCondition(groups);
    }
}

/// <summary>
/// The comparison operators of conditions, a pure function over JSON values: numbers compare as numbers, strings ordinally;
/// <c>contains</c> works on strings (substring) and arrays (an equal item); the unary ones ignore <c>right</c>. A missing
/// value is JSON null. An order or text test between values it does not apply to (a number with a string) is false;
/// <c>ne</c>, <c>not_contains</c>, <c>not_exists</c> and <c>is_not_empty</c> are the plain negations of their pairs.
/// </summary>
public static class ConditionOps
{
    public const string Eq = "eq";
    public const string Ne = "ne";
    public const string Gt = "gt";
    public const string Gte = "gte";
    public const string Lt = "lt";
    public const string Lte = "lte";
    public const string Contains = "contains";
    public const string NotContains = "not_contains";
    public const string StartsWith = "starts_with";
    public const string EndsWith = "ends_with";
    public const string Exists = "exists";
    public const string NotExists = "not_exists";
    public const string IsEmpty = "is_empty";
    public const string IsNotEmpty = "is_not_empty";

    public static readonly IReadOnlyList<string> All =
        [Eq, Ne, Gt, Gte, Lt, Lte, Contains, NotContains, StartsWith, EndsWith, Exists, NotExists, IsEmpty, IsNotEmpty];

    public static bool IsUnary(string op) => op is Exists or NotExists or IsEmpty or IsNotEmpty;

    /// <exception cref="ArgumentException"><paramref name="op"/> is not one of <see cref="All"/>.</exception>
    public static bool Evaluate(string op, JsonNode? left, JsonNode? right) => op switch
    {
        Eq => AreEqual(left, right),
        Ne => !AreEqual(left, right),
        Gt => Compare(left, right) is > 0,
        Gte => Compare(left, right) is >= 0,
        Lt => Compare(left, right) is < 0,
        Lte => Compare(left, right) is <= 0,
        Contains => ContainsValue(left, right),
        NotContains => !ContainsValue(left, right),
        StartsWith => Text(left) is { } l && Text(right) is { } r && l.StartsWith(r, StringComparison.Ordinal),
        EndsWith => Text(left) is { } l2 && Text(right) is { } r2 && l2.EndsWith(r2, StringComparison.Ordinal),
        Exists => !IsNull(left),
        NotExists => IsNull(left),
        IsEmpty => IsEmptyValue(left),
        IsNotEmpty => !IsEmptyValue(left),
        _ => throw new ArgumentException($"unknown condition operator '{op}'", nameof(op)),
    };

    private static bool IsNull(JsonNode? node) => node is null || node.GetValueKind() == JsonValueKind.Null;

    private static bool IsEmptyValue(JsonNode? node) => node switch
    {
        null => true,
        JsonArray a => a.Count == 0,
        JsonObject o => o.Count == 0,
        _ => node.GetValueKind() == JsonValueKind.Null || Text(node) is "",
    };

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static decimal? Number(JsonNode? node)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
            return null;
        // The JSON text, not the CLR value: a node built in code and one parsed from a body compare alike.
        var raw = v.ToJsonString();
        if (decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            return d;
        return double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && double.IsFinite(f) ? ClampToDecimal(f) : null;
    }

    // Beyond decimal's range a double still orders correctly against any decimal once clamped to the range's ends.
    private static decimal ClampToDecimal(double value) =>
        value >= (double)decimal.MaxValue ? decimal.MaxValue : value <= (double)decimal.MinValue ? decimal.MinValue : (decimal)value;

    /// <summary>The order of two numbers or two strings; null for values that do not compare.</summary>
    private static int? Compare(JsonNode? left, JsonNode? right)
    {
        if (Number(left) is { } a && Number(right) is { } b)
            return a.CompareTo(b);
        if (Text(left) is { } s && Text(right) is { } t)
            return string.CompareOrdinal(s, t);
        return null;
    }

    private static bool AreEqual(JsonNode? left, JsonNode? right)
    {
        if (IsNull(left) || IsNull(right))
            return IsNull(left) && IsNull(right);
        if (Number(left) is { } a && Number(right) is { } b)
            return a == b;
        return (left, right) switch
        {
            (JsonArray x, JsonArray y) => x.Count == y.Count && x.Zip(y).All(p => AreEqual(p.First, p.Second)),
            (JsonObject x, JsonObject y) => x.Count == y.Count && x.All(p => y.TryGetPropertyValue(p.Key, out var other) && AreEqual(p.Value, other)),
            _ => JsonNode.DeepEquals(left, right),
        };
    }

    private static bool ContainsValue(JsonNode? left, JsonNode? right) => left switch
    {
        JsonArray items => items.Any(item => AreEqual(item, right)),
        _ => Text(left) is { } text && Text(right) is { } part && text.Contains(part, StringComparison.Ordinal),
    };
}
