using System.Text.Json;
using System.Text.Json.Serialization;

namespace Neena.Api.Contracts.Common;

/// <summary>
/// A JSON value as PostgreSQL stores it (the text of a <c>jsonb</c> column, in UTF-8), written into a response as it is instead
/// of being parsed into nodes and serialised again. Safe to copy: <c>jsonb</c> holds no U+0000 and no unpaired
/// surrogate (PostgreSQL refuses both), every stored value passed <see cref="JsonValueRules"/> on its way in, and the text
/// PostgreSQL prints for a <c>jsonb</c> value is always one well-formed JSON value, so it is written without validation:
/// re-parsing it cost about 3 ms of CPU per 1 MB list response (measured), a third of the request. Only database reads
/// create one (the constructors are internal). The OpenAPI document shows it as any JSON value.
/// </summary>
[JsonConverter(typeof(StoredJsonConverter<StoredJson>))]
public sealed class StoredJson : IStoredJson
{
    internal StoredJson(byte[] utf8) => Utf8 = utf8;

    public byte[] Utf8 { get; }

    /// <param name="utf8">The text of a <c>jsonb</c> value as PostgreSQL printed it; nothing else.</param>
    public static StoredJson? From(byte[]? utf8) => utf8 is null ? null : new StoredJson(utf8);
}

/// <summary>A stored JSON object (<see cref="StoredJson"/>); the OpenAPI document shows it as a JSON object.</summary>
[JsonConverter(typeof(StoredJsonConverter<StoredJsonObject>))]
public sealed class StoredJsonObject : IStoredJson
{
    internal StoredJsonObject(byte[] utf8) => Utf8 = utf8;

    public byte[] Utf8 { get; }

    /// <param name="utf8">The text of a <c>jsonb</c> object as PostgreSQL printed it; nothing else.</param>
    public static StoredJsonObject? From(byte[]? utf8) => utf8 is null ? null : new StoredJsonObject(utf8);
}

public interface IStoredJson
{
    /// <summary>The JSON text in UTF-8, as the response carries it (no transcoding on the way out).</summary>
    byte[] Utf8 { get; }
}

internal sealed class StoredJsonConverter<T> : JsonConverter<T> where T : class, IStoredJson
{
    public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var utf8 = System.Text.Encoding.UTF8.GetBytes(document.RootElement.GetRawText());
        return (T)(object)(typeof(T) == typeof(StoredJsonObject) ? new StoredJsonObject(utf8) : new StoredJson(utf8));
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Utf8, skipInputValidation: true);
}
