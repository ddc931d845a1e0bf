using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Neena.Persistence.Configurations;

/// <summary>Maps JSON-shaped properties to <c>jsonb</c> columns, with value comparers so EF notices edits.</summary>
internal static class JsonColumns
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>A value of a <see cref="HasJsonb{T}"/> column read from its text, as EF reads it.</summary>
    public static T Read<T>(string text) where T : class => JsonSerializer.Deserialize<T>(text, Options)!;

    public static PropertyBuilder<T> HasJsonb<T>(this PropertyBuilder<T> property) where T : class
    {
        property.HasColumnType("jsonb").HasConversion(
            v => JsonSerializer.Serialize(v, Options),
            s => JsonSerializer.Deserialize<T>(s, Options)!,
            new ValueComparer<T>(
                (a, b) => JsonSerializer.Serialize(a, Options) == JsonSerializer.Serialize(b, Options),
                v => JsonSerializer.Serialize(v, Options).GetHashCode(StringComparison.Ordinal),
                v => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(v, Options), Options)!));
        return property;
    }

    /// <summary>A <c>jsonb</c> column read and written as a JSON DOM node (object, array or any value), compared by content.</summary>
    public static PropertyBuilder<TNode> HasJsonbNode<TNode>(this PropertyBuilder<TNode> property) where TNode : JsonNode?
    {
        property.HasColumnType("jsonb").HasConversion(
            v => v == null ? null : v.ToJsonString((JsonSerializerOptions?)null),
            s => s == null ? default! : (TNode)JsonNode.Parse(s, null, default)!,
            new ValueComparer<TNode>(
                (a, b) => JsonNode.DeepEquals(a, b),
                v => v == null ? 0 : v.ToJsonString((JsonSerializerOptions?)null).GetHashCode(StringComparison.Ordinal),
                v => v == null ? default! : (TNode)v.DeepClone()));
        return property;
    }
}

/// <summary>Reads typed <c>jsonb</c> columns (lists of records) as EF maps them, for hand-written SQL outside this assembly.</summary>
public static class JsonbColumn
{
    public static T Read<T>(string text) where T : class => JsonColumns.Read<T>(text);
}
