using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Neena.Domain.Common;

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

    /// <summary>
    /// A <c>jsonb</c> column read and written as a JSON DOM node (object, array or any value), compared by content. Read and
    /// written with <see cref="JsonDepth.MaxRead"/> levels (System.Text.Json's default of 64 made rows that the API once
    /// accepted unreadable, and a list with one such row a 500); a row deeper still reads as <see cref="JsonDepth.Unreadable"/>
    /// (in an array for an array column), logged, so that one row cannot break a list. An entity read so is saved without
    /// touching the column unless the column itself is changed: the comparer sees the marker unchanged.
    /// </summary>
    public static PropertyBuilder<TNode> HasJsonbNode<TNode>(this PropertyBuilder<TNode> property) where TNode : JsonNode?
    {
        var column = property.Metadata.DeclaringType.ClrType.Name + "." + property.Metadata.Name;
        property.HasColumnType("jsonb").HasConversion(
            v => v == null ? null : v.ToJsonString(JsonDepth.SerializerOptions),
            s => s == null ? default! : ReadNode<TNode>(s, column),
            new ValueComparer<TNode>(
                (a, b) => JsonNode.DeepEquals(a, b),
                v => v == null ? 0 : v.ToJsonString(JsonDepth.SerializerOptions).GetHashCode(StringComparison.Ordinal),
                v => v == null ? default! : (TNode)v.DeepClone()));
        return property;
    }

    /// <summary>Where a stored value too deep to read is reported; the host's logger once the first context is configured.</summary>
    internal static ILogger Logger { get; set; } = NullLogger.Instance;

    private static TNode ReadNode<TNode>(string text, string column) where TNode : JsonNode?
    {
        var node = JsonDepth.ParseStored(text, out var tooDeep);
        if (!tooDeep)
            return (TNode)node!;
        try
        {
            Logger.LogWarning("A stored {Column} value nests deeper than {MaxDepth} levels; it reads as a marker", column, JsonDepth.MaxRead);
        }
        catch (ObjectDisposedException)
        {
            // The host that owned the logger has stopped (tests run several in one process); the marker is the answer anyway.
        }
        return typeof(TNode) == typeof(JsonArray) ? (TNode)(JsonNode)new JsonArray(node) : (TNode)node!;
    }
}

/// <summary>Reads typed <c>jsonb</c> columns (lists of records) as EF maps them, for hand-written SQL outside this assembly.</summary>
public static class JsonbColumn
{
    public static T Read<T>(string text) where T : class => JsonColumns.Read<T>(text);
}
