using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Neena.Api.Hosting.OpenApi;

/// <summary>
/// Rewrites the schemas that say "this or null" without a <c>type</c>, which OpenAPI 3.0 tools refuse (Redocly's
/// <c>nullable-type-sibling</c>, openapi-typescript, Spectral's example validation: <c>nullable</c> needs <c>type</c>).
/// A nullable reference (<c>nullable</c> beside <c>allOf: [$ref]</c>) becomes <c>oneOf: [$ref, NULL]</c>, and nullable
/// "any JSON" becomes <c>oneOf: [not NULL, NULL]</c>, where NULL is a typed schema that admits only null. A
/// <c>type</c> beside the <c>allOf</c> would do for the linters, but NSwag then stops seeing a reference and generates a
/// class per field; <c>oneOf</c> with a null-only branch is the form NJsonSchema itself reads as a nullable reference.
/// </summary>
internal sealed class ToolFriendlyNullables : IDocumentFilter
{
    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        var components = document.Components?.Schemas ?? new Dictionary<string, IOpenApiSchema>();
        var seen = new HashSet<OpenApiSchema>(ReferenceEqualityComparer.Instance);
        foreach (var schema in components.Values)
            Visit(schema, components, seen);
        foreach (var operation in document.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []))
        {
            foreach (var parameter in operation.Parameters ?? [])
                Visit(parameter.Schema, components, seen);
            foreach (var media in operation.RequestBody?.Content?.Values ?? [])
                Visit(media.Schema, components, seen);
            foreach (var media in (operation.Responses?.Values.AsEnumerable() ?? []).SelectMany(r => r.Content?.Values ?? []))
                Visit(media.Schema, components, seen);
        }
    }

    /// <summary>A schema that admits null and nothing else, typed so that <c>nullable</c> has its sibling.</summary>
    public static OpenApiSchema Null(JsonSchemaType type = JsonSchemaType.Object) =>
        new() { Type = type | JsonSchemaType.Null, Enum = [null!] };

    private static void Visit(IOpenApiSchema? candidate, IDictionary<string, IOpenApiSchema> components, HashSet<OpenApiSchema> seen)
    {
        if (candidate is not OpenApiSchema schema || !seen.Add(schema))
            return;
        Rewrite(schema, components);
        foreach (var child in Children(schema))
            Visit(child, components, seen);
    }

    private static void Rewrite(OpenApiSchema schema, IDictionary<string, IOpenApiSchema> components)
    {
        // Only a schema whose whole type is "null" is affected: a typed nullable (string or null) is already fine.
        if (schema.Type != JsonSchemaType.Null || schema.Enum is { Count: > 0 })
            return;
        if (schema.AllOf is [OpenApiSchemaReference reference] && schema.Properties is null or { Count: 0 })
        {
            var target = reference.Reference.Id is { } id && components.TryGetValue(id, out var found) ? found.Type : null;
            schema.OneOf = [reference, Null((target ?? JsonSchemaType.Object) & ~JsonSchemaType.Null)];
            schema.AllOf = null;
        }
        else if (schema.AllOf is null or { Count: 0 } && schema.Properties is null or { Count: 0 } && schema.OneOf is null or { Count: 0 }
                 && schema.AnyOf is null or { Count: 0 } && schema.Items is null)
        {
            schema.OneOf = [new OpenApiSchema { Not = Null() }, Null()];
        }
        else
        {
            return;
        }
        schema.Type = null;
    }

    private static IEnumerable<IOpenApiSchema?> Children(OpenApiSchema schema) =>
        (schema.Properties?.Values ?? [])
            .Concat(schema.AllOf ?? []).Concat(schema.OneOf ?? []).Concat(schema.AnyOf ?? [])
            .Append(schema.Items).Append(schema.AdditionalProperties).Append(schema.Not);
}
