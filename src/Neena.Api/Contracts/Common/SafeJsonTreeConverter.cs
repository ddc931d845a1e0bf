using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Neena.Domain.Common;

namespace Neena.Api.Contracts.Common;

/// <summary>
/// JSON-tree fields (<see cref="JsonNode"/>, <see cref="JsonObject"/>, <see cref="JsonArray"/>, <see cref="JsonValue"/>,
/// <see cref="JsonElement"/>) never meet the <c>string</c> and <c>double</c> converters: the serializer keeps their
/// text as raw UTF-8 and only PostgreSQL's <c>jsonb</c> input finds a <c>\u0000</c> or a lone surrogate (a 500 after
/// the fact). This converter checks the whole tree against <see cref="JsonValueRules"/> while binding, property
/// names included, and answers a refusal at the exact path inside the field. Every JSON-tree field of a request is stored
/// as it is sent, so a tree nested deeper than <see cref="JsonDepth.MaxStored"/> is refused at the field: once stored, it
/// would break the reads of the row (and of every list holding it).
/// </summary>
public sealed class SafeJsonTreeConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert == typeof(JsonElement) || typeof(JsonNode).IsAssignableFrom(typeToConvert);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        typeToConvert == typeof(JsonElement)
            ? new ElementConverter()
            : (JsonConverter)Activator.CreateInstance(typeof(NodeConverter<>).MakeGenericType(typeToConvert))!;

    private static JsonElement ReadChecked(ref Utf8JsonReader reader)
    {
        var element = JsonElement.ParseValue(ref reader);
        if (JsonDepth.Exceeds(element))
            throw JsonValueRules.Refusal(JsonDepth.TooDeepMessage());
        JsonValueRules.CheckTree(element);
        return element;
    }

    private sealed class ElementConverter : JsonConverter<JsonElement>
    {
        public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ReadChecked(ref reader);

        public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options) => value.WriteTo(writer);
    }

    private sealed class NodeConverter<TNode> : JsonConverter<TNode> where TNode : JsonNode
    {
        // Objects keep names as sent (case-sensitive, like jsonb); the web defaults' case-insensitive objects would take
        // "a" and "A" for one property and throw.
        private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

        public override TNode? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            // Refuse the wrong kind before reading, so the serializer's own "could not be converted" names the field.
            var fits = reader.TokenType switch
            {
                JsonTokenType.StartObject => typeof(TNode).IsAssignableFrom(typeof(JsonObject)),
                JsonTokenType.StartArray => typeof(TNode).IsAssignableFrom(typeof(JsonArray)),
                _ => typeof(TNode) == typeof(JsonNode) || typeof(TNode) == typeof(JsonValue),
            };
            if (!fits)
                throw new JsonException();
            var element = ReadChecked(ref reader);
            JsonNode? node = element.ValueKind switch
            {
                JsonValueKind.Object => JsonObject.Create(element, NodeOptions),
                JsonValueKind.Array => JsonArray.Create(element, NodeOptions),
                JsonValueKind.Null => null,
                _ => JsonValue.Create(element, NodeOptions),
            };
            return (TNode?)node;
        }

        public override void Write(Utf8JsonWriter writer, TNode value, JsonSerializerOptions options) => value.WriteTo(writer, options);
    }
}
