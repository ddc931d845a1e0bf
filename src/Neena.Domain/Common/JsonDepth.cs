using System.Text.Json;
using System.Text.Json.Nodes;

namespace Neena.Domain.Common;

/// <summary>
/// How deeply stored JSON may nest, in one place. Depth counts containers as System.Text.Json's <c>MaxDepth</c> does: a
/// scalar is 0, <c>{}</c> and <c>[]</c> are 1, <c>[{"a": 1}]</c> is 2.
/// <list type="bullet">
/// <item><see cref="MaxStored"/>: every JSON value that comes in from outside (request fields, a webhook delivery as the
/// flow request will hold it, a task's output, a language model's value) nests at most this deep as it will be stored;
/// deeper input is refused where it arrives (422 on the API and at the receiver, a failed task in the engine).</item>
/// <item><see cref="MaxRead"/>: every reader of a stored value accepts this much, well above <see cref="MaxStored"/> and
/// the few levels the engine's own records wrap around a value (a task's preparation record adds 3), and above anything
/// stored before the limit existed (at most 66 levels). A stored value deeper still reads as <see cref="Unreadable"/>.</item>
/// <item><see cref="MaxDocument"/>: a whole document (a request body, a response, a live event) may nest this deep: a
/// stored value read back plus the envelope around it.</item>
/// </list>
/// 32 keeps every answer that carries an accepted value far below the 64 levels most JSON parsers accept by default.
/// </summary>
public static class JsonDepth
{
    public const int MaxStored = 32;

    public const int MaxRead = 128;

    public const int MaxDocument = MaxRead + 32;

    /// <summary>The property of the object that stands for a stored value too deep to read (only rows written before the limit).</summary>
    public const string UnreadableProperty = "neena_unreadable_json";

    /// <summary>The refusal every place uses for a value over <see cref="MaxStored"/>.</summary>
    public static string TooDeepMessage(int limit = MaxStored) => $"JSON value is nested too deeply (at most {limit} levels of objects and arrays)";

    /// <summary>What a reader returns in place of a stored value deeper than <see cref="MaxRead"/>: an object saying so.</summary>
    public static JsonObject Unreadable() => new()
    {
        [UnreadableProperty] = $"this stored value nests deeper than {MaxRead} levels and cannot be read",
    };

    /// <summary>Whether <paramref name="node"/> nests deeper than <paramref name="limit"/>; stops looking one level past it.</summary>
    public static bool Exceeds(JsonNode? node, int limit = MaxStored) => Exceeds(node, limit, 0);

    private static bool Exceeds(JsonNode? node, int limit, int depth)
    {
        switch (node)
        {
            case JsonObject o:
                if (depth + 1 > limit)
                    return true;
                foreach (var (_, value) in o)
                {
                    if (Exceeds(value, limit, depth + 1))
                        return true;
                }
                return false;
            case JsonArray a:
                if (depth + 1 > limit)
                    return true;
                foreach (var item in a)
                {
                    if (Exceeds(item, limit, depth + 1))
                        return true;
                }
                return false;
            default:
                return false;
        }
    }

    /// <summary>Whether <paramref name="element"/> nests deeper than <paramref name="limit"/>; stops looking one level past it.</summary>
    public static bool Exceeds(JsonElement element, int limit = MaxStored) => Exceeds(element, limit, 0);

    private static bool Exceeds(JsonElement element, int limit, int depth)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                if (depth + 1 > limit)
                    return true;
                foreach (var property in element.EnumerateObject())
                {
                    if (Exceeds(property.Value, limit, depth + 1))
                        return true;
                }
                return false;
            case JsonValueKind.Array:
                if (depth + 1 > limit)
                    return true;
                foreach (var item in element.EnumerateArray())
                {
                    if (Exceeds(item, limit, depth + 1))
                        return true;
                }
                return false;
            default:
                return false;
        }
    }

    /// <summary>
    /// Parses the text of a stored <c>jsonb</c> value as a node, accepting <see cref="MaxRead"/> levels; a deeper value
    /// (a row written before the limit existed) gives <see cref="Unreadable"/>, and <paramref name="tooDeep"/> says so.
    /// </summary>
    public static JsonNode? ParseStored(string text, out bool tooDeep)
    {
        tooDeep = false;
        try
        {
            return JsonNode.Parse(text, NodeOptions, ReadOptions);
        }
        catch (JsonException) when (IsJsonAtAnyDepth(text))
        {
            tooDeep = true;
            return Unreadable();
        }
    }

    /// <summary>
    /// Writes the UTF-8 text of a stored <c>jsonb</c> value as <see cref="ParseStored"/> and a node's <c>WriteTo</c> would,
    /// byte for byte, without building nodes (or the text as a string): a value deeper than <see cref="MaxRead"/> is
    /// written as <see cref="Unreadable"/>.
    /// </summary>
    /// <exception cref="JsonException">The text is not JSON at any depth.</exception>
    public static void WriteStored(Utf8JsonWriter writer, ReadOnlyMemory<byte> utf8)
    {
        ArgumentNullException.ThrowIfNull(writer);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, ReadOptions);
        }
        catch (JsonException) when (IsJsonAtAnyDepth(utf8.Span))
        {
            Unreadable().WriteTo(writer);
            return;
        }
        using (document)
            document.RootElement.WriteTo(writer);
    }

    /// <summary>Options that read or write a stored value with the depth readers accept (System.Text.Json's default is 64).</summary>
    public static readonly JsonSerializerOptions SerializerOptions = new() { MaxDepth = MaxDocument };

    /// <summary>
    /// What a writer of stored values writes with: the options a node's <c>ToJsonString(SerializerOptions)</c> writes with,
    /// so a value written either way has the same bytes.
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new() { MaxDepth = MaxDocument };

    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = MaxRead };

    /// <summary>Whether the text is JSON at any depth: only depth makes a stored value unreadable; anything else stays an error.</summary>
    private static bool IsJsonAtAnyDepth(string text) => IsJsonAtAnyDepth(System.Text.Encoding.UTF8.GetBytes(text));

    private static bool IsJsonAtAnyDepth(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = int.MaxValue });
        try
        {
            while (reader.Read())
            {
            }
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
