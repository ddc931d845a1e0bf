using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Neena.Api.Contracts.Common;

/// <summary>
/// What every value read from a request body must be, whatever field it sits in: text PostgreSQL can store (no U+0000,
/// no unpaired surrogate, valid UTF-8) and numbers JSON can carry (finite). The converters of strings, numbers and JSON
/// trees all ask here, so the rule has one home.
/// </summary>
public static class JsonValueRules
{
    public const string NulMessage = "string contains a NUL character";
    public const string SurrogateMessage = "string contains an unpaired surrogate";
    public const string Utf8Message = "string is not valid UTF-8";
    public const string NotFiniteMessage = "value is not a finite number";
    public const string OutOfRangeMessage = "value is out of range (too many decimal places)";
    public const string DuplicateMessage = "duplicate property name";
    private const string NamePrefix = "property name";

    private const string Prefix = "value_error: ";
    private const string At = " @ ";

    /// <summary>
    /// A refusal of a value at <paramref name="relativePath"/> inside the field being read. MVC keeps only the message
    /// of a <see cref="JsonException"/> and the serializer names only the field, so the rest of the path travels in the message.
    /// </summary>
    public static JsonException Refusal(string message, IEnumerable<string>? relativePath = null)
    {
        var path = relativePath is null ? "" : string.Join('.', relativePath);
        return new JsonException(Prefix + message + (path.Length == 0 ? "" : At + path));
    }

    /// <summary>Reads back what <see cref="Refusal"/> wrote: the message and the path below the field (empty for the field itself).</summary>
    public static bool TryParseRefusal(string text, out string message, out string relativePath)
    {
        message = relativePath = "";
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        // The serializer appends its " Path: …" only to messages it wrote itself, never to these. Our messages hold no
        // " @ ", so the first one ends the message even when a property name in the path holds one too.
        var body = text[Prefix.Length..];
        var at = body.IndexOf(At, StringComparison.Ordinal);
        message = (at < 0 ? body : body[..at]).TrimEnd('.');
        relativePath = at < 0 ? "" : body[(at + At.Length)..];
        return true;
    }

    /// <summary>The string value (or property name) under the reader, or a refusal saying why it cannot be stored.</summary>
    public static string ReadString(ref Utf8JsonReader reader, bool isPropertyName = false)
    {
        string value;
        try
        {
            value = reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // GetString refuses both malformed UTF-8 and escaped lone surrogates; the raw bytes tell which.
            var raw = reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan.ToArray();
            throw Refusal(Name(System.Text.Unicode.Utf8.IsValid(raw) ? SurrogateMessage : Utf8Message, isPropertyName));
        }
        if (value.Contains('\0', StringComparison.Ordinal))
            throw Refusal(Name(NulMessage, isPropertyName));
        return value;
    }

    /// <summary>The error of a string element or property name, or null when it can be stored.</summary>
    public static string? StringError(ReadOnlySpan<byte> rawUtf8, Func<string> unescape, bool isPropertyName)
    {
        if (!System.Text.Unicode.Utf8.IsValid(rawUtf8))
            return Name(Utf8Message, isPropertyName);
        string value;
        try
        {
            value = unescape();
        }
        catch (InvalidOperationException)
        {
            return Name(SurrogateMessage, isPropertyName);
        }
        return value.Contains('\0', StringComparison.Ordinal) ? Name(NulMessage, isPropertyName) : null;
    }

    /// <summary>
    /// Every string, property name and number inside <paramref name="element"/>, checked; the first problem is thrown as a
    /// refusal at its path. Property names that cannot be stored are reported at their object (the name itself is the problem).
    /// </summary>
    public static void CheckTree(JsonElement element)
    {
        var path = new List<string>();
        if (TreeError(element, path) is { } error)
            throw Refusal(error, path);
    }

    private static string? TreeError(JsonElement element, List<string> path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return StringError(JsonMarshal.GetRawUtf8Value(element), () => element.GetString()!, isPropertyName: false);
            case JsonValueKind.Number:
                if (!element.TryGetDouble(out var number) || !double.IsFinite(number))
                    return NotFiniteMessage;
                return Scale(JsonMarshal.GetRawUtf8Value(element)) > MaxScale ? OutOfRangeMessage : null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    path.Add(index.ToString(CultureInfo.InvariantCulture));
                    if (TreeError(item, path) is { } itemError)
                        return itemError;
                    path.RemoveAt(path.Count - 1);
                    index++;
                }
                return null;
            case JsonValueKind.Object:
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    var current = property;
                    if (StringError(JsonMarshal.GetRawUtf8PropertyName(property), () => current.Name, isPropertyName: true) is { } nameError)
                        return nameError;
                    path.Add(property.Name);
                    // JsonObject refuses a repeated name with an exception of its own; the client hears it as a 422.
                    if (!names.Add(property.Name))
                        return DuplicateMessage;
                    if (TreeError(property.Value, path) is { } valueError)
                        return valueError;
                    path.RemoveAt(path.Count - 1);
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>
    /// jsonb stores a number as written, in full decimal: <c>1e-16384</c> overflows it (a 500) and <c>1e-16000</c> turns
    /// nine bytes into sixteen kilobytes. No double needs more than 340 decimal places (4.9406564584124654e-324), so
    /// a number written with more is refused.
    /// </summary>
    private const long MaxScale = 340;

    /// <summary>Digits after the decimal point once the exponent is applied: <c>1.25e-3</c> → 5.</summary>
    private static long Scale(ReadOnlySpan<byte> number)
    {
        var e = number.IndexOfAny((byte)'e', (byte)'E');
        var mantissa = e < 0 ? number : number[..e];
        var point = mantissa.IndexOf((byte)'.');
        long fraction = point < 0 ? 0 : mantissa.Length - point - 1;
        long exponent = 0;
        if (e >= 0)
        {
            var digits = number[(e + 1)..];
            var negative = digits.Length > 0 && digits[0] == (byte)'-';
            if (digits.Length > 0 && digits[0] is (byte)'-' or (byte)'+')
                digits = digits[1..];
            foreach (var digit in digits)
                exponent = Math.Min(exponent * 10 + (digit - '0'), 1_000_000_000);
            exponent = negative ? -exponent : exponent;
        }
        return fraction - exponent;
    }

    private static string Name(string message, bool isPropertyName) =>
        isPropertyName ? NamePrefix + message["string".Length..] : message;
}
