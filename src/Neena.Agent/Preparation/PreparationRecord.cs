using System.Globalization;
using System.Text.Json.Nodes;

namespace Neena.Agent.Preparation;

/// <summary>
/// Bounds what a task run records of its preparation (<c>task_prep_prompt</c>, <c>task_prep_answer</c>). Both quote the
/// request and the values found, so without a bound every task of a run would store the whole request again (a 0.9 MB
/// request made a 10-task run 36 MB to read). The task's input itself is never cut; only the record of it is.
/// </summary>
public static class PreparationRecord
{
    /// <summary>Longest text kept of one prompt message, and longest JSON text kept of one answered value, in characters.</summary>
    public const int MaxChars = 16_384;

    /// <summary>The text, or its first <see cref="MaxChars"/> characters followed by <c>…[truncated N chars]</c>.</summary>
    public static string Cap(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length <= MaxChars)
            return text;
        // Never between the halves of a surrogate pair: jsonb refuses an unpaired surrogate.
        var keep = char.IsHighSurrogate(text[MaxChars - 1]) ? MaxChars - 1 : MaxChars;
        return string.Concat(text.AsSpan(0, keep), string.Create(CultureInfo.InvariantCulture, $"…[truncated {text.Length - keep} chars]"));
    }

    /// <summary>
    /// A copy of the value, or, when its JSON is longer than <see cref="MaxChars"/>, a string of that JSON's start and
    /// the truncation marker (the record shows what was found; the task still receives the whole value).
    /// </summary>
    public static JsonNode? Cap(JsonNode? value)
    {
        if (value is null)
            return null;
        var text = value.ToJsonString(PreparationJson.Compact);
        return text.Length <= MaxChars ? value.DeepClone() : JsonValue.Create(Cap(text));
    }
}
