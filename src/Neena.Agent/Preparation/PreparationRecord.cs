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
        return text.Length <= MaxChars ? text : Capped(text, text.Length);
    }

    /// <summary>
    /// <see cref="Cap(string)"/> of a text longer than <see cref="MaxChars"/> of which only <paramref name="start"/> (at
    /// least its first <see cref="MaxChars"/> characters) was kept, the text being <paramref name="length"/> characters long.
    /// </summary>
    internal static string Capped(string start, long length)
    {
        // Never between the halves of a surrogate pair: jsonb refuses an unpaired surrogate.
        var keep = char.IsHighSurrogate(start[MaxChars - 1]) ? MaxChars - 1 : MaxChars;
        return string.Concat(start.AsSpan(0, keep), string.Create(CultureInfo.InvariantCulture, $"…[truncated {length - keep} chars]"));
    }

    /// <summary>
    /// A copy of the value, or, when its JSON is longer than <see cref="MaxChars"/>, a string of that JSON's start and
    /// the truncation marker (the record shows what was found; the task still receives the whole value).
    /// </summary>
    public static JsonNode? Cap(JsonNode? value)
    {
        if (value is null)
            return null;
        var (start, length) = JsonTextStart.Of(value, PreparationJson.Compact, MaxChars);
        return length <= MaxChars ? value.DeepClone() : JsonValue.Create(Capped(start, length));
    }
}
