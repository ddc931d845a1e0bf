using System.Text.Json;
using System.Text.Json.Serialization;

namespace Neena.Api.Contracts.Common;

/// <summary>
/// A body field of a partial update: <see cref="IsSet"/> tells "sent (maybe as null)" from "omitted", so
/// omitted fields keep their stored value as the contract requires.
/// </summary>
[JsonConverter(typeof(FieldUpdateConverterFactory))]
public readonly record struct FieldUpdate<T>(bool IsSet, T? Value)
{
    public T? Or(T? current) => IsSet ? Value : current;
}

internal sealed class FieldUpdateConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(FieldUpdate<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(FieldUpdateConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;

    private sealed class FieldUpdateConverter<T> : JsonConverter<FieldUpdate<T>>
    {
        // Called for null tokens too, so an explicit null is "set to null", not "omitted".
        public override bool HandleNull => true;

        public override FieldUpdate<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null)
                return new FieldUpdate<T>(true, default);
            try
            {
                return new FieldUpdate<T>(true, JsonSerializer.Deserialize<T>(ref reader, options));
            }
            catch (JsonException e) when (e.Path is not null)
            {
                // The nested call names its own root ("$"); without a path, the outer serializer names this field instead.
                throw new JsonException(e.Message, e);
            }
        }

        public override void Write(Utf8JsonWriter writer, FieldUpdate<T> value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.Value, options);
    }
}
