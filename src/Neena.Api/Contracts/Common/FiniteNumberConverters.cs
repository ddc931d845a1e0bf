using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Neena.Api.Contracts.Common;

/// <summary>
/// A <c>double</c> of a request body is finite. The serializer alone reads <c>1e400</c> as infinity and, because the web
/// defaults read numbers from strings, <c>"NaN"</c> and <c>"Infinity"</c> as themselves; PostgreSQL stores them, and
/// every later response that has to write them fails. Refused here, they never reach a row.
/// </summary>
public sealed class FiniteDoubleConverter : JsonConverter<double>
{
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        FiniteNumbers.Read(ref reader, options);

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

/// <summary>The same rule for <c>float</c>, whose range ends far sooner (<c>1e39</c> is already infinite).</summary>
public sealed class FiniteSingleConverter : JsonConverter<float>
{
    public override float Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var value = (float)FiniteNumbers.Read(ref reader, options);
        return float.IsFinite(value) ? value : throw JsonValueRules.Refusal(JsonValueRules.NotFiniteMessage);
    }

    public override void Write(Utf8JsonWriter writer, float value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

internal static class FiniteNumbers
{
    public static double Read(ref Utf8JsonReader reader, JsonSerializerOptions options)
    {
        double value;
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (!reader.TryGetDouble(out value))
                throw new JsonException();
        }
        else if (reader.TokenType == JsonTokenType.String && options.NumberHandling.HasFlag(JsonNumberHandling.AllowReadingFromString))
        {
            // As lenient as the serializer's own string reading ("1.5", "-2e3"), but the named literals end up refused below.
            var text = JsonValueRules.ReadString(ref reader);
            if (!double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value))
                throw new JsonException();
        }
        else
        {
            // A message-less exception lets the serializer name the path and the expected type.
            throw new JsonException();
        }
        return double.IsFinite(value) ? value : throw JsonValueRules.Refusal(JsonValueRules.NotFiniteMessage);
    }
}
