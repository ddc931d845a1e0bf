using System.Text.Json;
using System.Text.Json.Serialization;

namespace Neena.Api.Contracts.Common;

/// <summary>
/// A JSON value as PostgreSQL stores it (the text of a <c>jsonb</c> column), written into a response as it is instead
/// of being parsed into nodes and serialised again. Safe to copy: <c>jsonb</c> holds no U+0000 and no unpaired
/// surrogate (PostgreSQL refuses both), and every stored value passed <see cref="JsonValueRules"/> on its way in; the
/// writer still checks that the text is one well-formed JSON value. The OpenAPI document shows it as any JSON value.
/// </summary>
[JsonConverter(typeof(StoredJsonConverter<StoredJson>))]
public sealed class StoredJson(string text) : IStoredJson
{
    public string Text { get; } = text;

    public static StoredJson? From(string? text) => text is null ? null : new StoredJson(text);
}

/// <summary>A stored JSON object (<see cref="StoredJson"/>); the OpenAPI document shows it as a JSON object.</summary>
[JsonConverter(typeof(StoredJsonConverter<StoredJsonObject>))]
public sealed class StoredJsonObject(string text) : IStoredJson
{
    public string Text { get; } = text;

    public static StoredJsonObject? From(string? text) => text is null ? null : new StoredJsonObject(text);
}

public interface IStoredJson
{
    string Text { get; }
}

internal sealed class StoredJsonConverter<T> : JsonConverter<T> where T : class, IStoredJson
{
    public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return (T)Activator.CreateInstance(typeof(T), document.RootElement.GetRawText())!;
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Text, skipInputValidation: false);
}
