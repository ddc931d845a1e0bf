using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Neena.Api.Hosting.OpenApi;

/// <summary>
/// An example for every success answer, built from its schema so that it is valid against it (the linters check each
/// example: Spectral's <c>oas3-valid-media-example</c>): ids are UUIDs, times are timestamps, enums take their first
/// value, numbers and strings respect the schema's limits, and a text field reads as its name, not as <c>"string"</c>.
/// Nullable fields show a value, so that the example shows the shape of what can be there.
/// </summary>
internal sealed class ResponseExamples : IDocumentFilter
{
    private const string Id = "0196b0a4-6c1e-7d2f-8a3b-4c5d6e7f8a90";
    private const string Time = "2026-01-05T09:00:00Z";

    /// <summary>Deep enough for a flow's dependency conditions; a guard should a schema ever refer to itself.</summary>
    private const int MaxDepth = 24;

    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        var components = document.Components?.Schemas ?? new Dictionary<string, IOpenApiSchema>();
        foreach (var operation in document.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []))
        {
            foreach (var (status, response) in operation.Responses ?? [])
            {
                if (!status.StartsWith('2') || response.Content is null)
                    continue;
                foreach (var (type, media) in response.Content)
                {
                    if (type == "application/json" && media.Example is null && media.Schema is { } schema)
                        media.Example = Example(schema, components, "", 0);
                }
            }
        }
    }

    private static JsonNode? Example(IOpenApiSchema schema, IDictionary<string, IOpenApiSchema> components, string name, int depth)
    {
        if (schema is OpenApiSchemaReference reference && reference.Reference.Id is { } id && components.TryGetValue(id, out var target))
            return depth > MaxDepth ? null : Example(target, components, name, depth + 1);
        if (schema is not OpenApiSchema concrete)
            return null;
        if (concrete.Enum is { Count: > 0 } values)
            return values[0]?.DeepClone();
        if (concrete.OneOf is { Count: > 0 } oneOf)
            return Example(oneOf[0], components, name, depth + 1);
        if (concrete.AllOf is [var only])
            return Example(only, components, name, depth + 1);
        if (concrete.AllOf is { Count: > 0 } allOf)
        {
            var merged = new JsonObject();
            foreach (var part in allOf)
            {
                if (Example(part, components, name, depth + 1) is JsonObject piece)
                {
                    foreach (var (key, value) in piece)
                        merged[key] = value?.DeepClone();
                }
            }
            return merged;
        }
        var type = (concrete.Type ?? 0) & ~JsonSchemaType.Null;
        if (type.HasFlag(JsonSchemaType.Object) || concrete.Properties is { Count: > 0 })
        {
            var example = new JsonObject();
            foreach (var (property, value) in concrete.Properties ?? new Dictionary<string, IOpenApiSchema>())
                example[property] = depth > MaxDepth ? null : Example(value, components, property, depth + 1);
            return example;
        }
        if (type.HasFlag(JsonSchemaType.Array))
        {
            var count = Math.Max(concrete.MinItems ?? 0, 1);
            return concrete.Items is null || depth > MaxDepth ? new JsonArray() : new JsonArray([.. Enumerable.Range(0, count).Select(_ => Example(concrete.Items, components, name, depth + 1))]);
        }
        if (type.HasFlag(JsonSchemaType.Boolean))
            return JsonValue.Create(false);
        if (type.HasFlag(JsonSchemaType.Integer) || type.HasFlag(JsonSchemaType.Number))
        {
            var low = Parse(concrete.Minimum) ?? 0;
            var high = Parse(concrete.Maximum) ?? long.MaxValue;
            return JsonValue.Create(Math.Clamp(1, low, high));
        }
        if (type.HasFlag(JsonSchemaType.String))
            return JsonValue.Create(Text(concrete, name));
        return null;
    }

    private static string Text(OpenApiSchema schema, string name)
    {
        var text = schema.Format switch
        {
            "uuid" => Id,
            "date-time" => Time,
            "date" => Time[..10],
            "email" => "ada@example.com",
            "uri" => "https://203.0.113.10/neena",
            _ => name.Length == 0 ? "text" : name.Replace('_', ' '),
        };
        if (schema.Format is not null and not "email" and not "uri")
            return text;
        if (schema.MaxLength is { } max && text.Length > max)
            text = text[..max];
        if (schema.MinLength is { } min && text.Length < min)
            text = text.PadRight(min, 'x');
        return text;
    }

    private static long? Parse(string? bound) =>
        decimal.TryParse(bound, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? (long)Math.Clamp(value, long.MinValue, long.MaxValue) : null;
}
