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

    public static PropertyBuilder<JsonArray> HasJsonbArray(this PropertyBuilder<JsonArray> property)
    {
        property.HasColumnType("jsonb").HasConversion(
            v => v.ToJsonString((JsonSerializerOptions?)null),
            s => JsonNode.Parse(s, null, default)!.AsArray(),
            new ValueComparer<JsonArray>(
                (a, b) => JsonNode.DeepEquals(a, b),
                v => v.ToJsonString((JsonSerializerOptions?)null).GetHashCode(StringComparison.Ordinal),
                v => JsonNode.Parse(v.ToJsonString((JsonSerializerOptions?)null), null, default)!.AsArray()));
        return property;
    }

    public static PropertyBuilder<JsonObject?> HasJsonbObject(this PropertyBuilder<JsonObject?> property)
    {
        property.HasColumnType("jsonb").HasConversion(
            v => v == null ? null : v.ToJsonString((JsonSerializerOptions?)null),
            s => s == null ? null : JsonNode.Parse(s, null, default)!.AsObject(),
            new ValueComparer<JsonObject?>(
                (a, b) => JsonNode.DeepEquals(a, b),
                v => v == null ? 0 : v.ToJsonString((JsonSerializerOptions?)null).GetHashCode(StringComparison.Ordinal),
                v => v == null ? null : JsonNode.Parse(v.ToJsonString((JsonSerializerOptions?)null), null, default)!.AsObject()));
        return property;
    }
}
