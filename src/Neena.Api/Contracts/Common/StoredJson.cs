using System.Text.Json;
using System.Text.Json.Serialization;

namespace Neena.Api.Contracts.Common;

/// <summary>
/// A JSON value as PostgreSQL stores it (the text of a <c>jsonb</c> column, in UTF-8), written into a response as it is instead
/// of being parsed into nodes and serialised again. Safe to copy: <c>jsonb</c> holds no U+0000 and no unpaired
/// surrogate (PostgreSQL refuses both), and every stored value passed <see cref="JsonValueRules"/> on its way in; the
/// writer still checks that the text is one well-formed JSON value. The OpenAPI document shows it as any JSON value.
/// </summary>
[JsonConverter(typeof(StoredJsonConverter<StoredJson>))]
public sealed class StoredJson(byte[] utf8) : IStoredJson
{
    public byte[] Utf8 { get; } = utf8;

    public static StoredJson? From(byte[]? utf8) => utf8 is null ? null : new StoredJson(utf8);
}

/// <summary>A stored JSON object (<see cref="StoredJson"/>); the OpenAPI document shows it as a JSON object.</summary>
[JsonConverter(typeof(StoredJsonConverter<StoredJsonObject>))]
public sealed class StoredJsonObject(byte[] utf8) : IStoredJson
{
    public byte[] Utf8 { get; } = utf8;

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
        return (T)Activator.CreateInstance(typeof(T), System.Text.Encoding.UTF8.GetBytes(document.RootElement.GetRawText()))!;
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Utf8, skipInputValidation: false);
}
