using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.OpenApi;
using Neena.Api.Contracts.Common;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Neena.Api.Hosting.OpenApi;

/// <summary>
/// Makes each contract's schema say what the server does: which fields are required and which take null, the values
/// of string enums, the shape of JSON-node fields, and that extra members are tolerated (requests ignore unknown
/// fields; answers may gain fields, contract §3).
/// </summary>
internal sealed class ContractSchemaFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema concrete)
            return;
        if (context.MemberInfo is PropertyInfo property)
            ApplyField(concrete, property, context.SchemaRepository);
        else if (context.MemberInfo is null && context.ParameterInfo is null)
            ApplyType(concrete, context.Type);
    }

    private static void ApplyType(OpenApiSchema schema, Type type)
    {
        var output = type.GetCustomAttribute<OutputSchemaAttribute>() is not null || SchemaNames.ForeignOutputs.ContainsKey(type);
        var input = type.GetCustomAttribute<InputSchemaAttribute>() is not null;
        if ((!output && !input) || schema.Properties is null)
            return;

        schema.AdditionalPropertiesAllowed = true;
        var required = output
            ? schema.Properties.Keys
            : type.GetProperties()
                .Where(p => p.GetCustomAttribute<ApiFieldAttribute>() is { Required: true })
                .Select(JsonName);
        schema.Required = new SortedSet<string>(required, StringComparer.Ordinal);

        // A field whose type is another contract is a bare reference, which the field filter never sees and which cannot
        // say null in OpenAPI 3.0: a nullable one is wrapped, as nullable enums are.
        foreach (var property in type.GetProperties())
        {
            if (schema.Properties.TryGetValue(JsonName(property), out var field) && field is OpenApiSchemaReference reference
                && !property.PropertyType.IsValueType && new NullabilityInfoContext().Create(property).ReadState != NullabilityState.NotNull)
                schema.Properties[JsonName(property)] = new OpenApiSchema { AllOf = [reference], Type = JsonSchemaType.Null };
        }
    }

    private static void ApplyField(OpenApiSchema schema, PropertyInfo property, SchemaRepository repository)
    {
        var field = property.GetCustomAttribute<ApiFieldAttribute>();
        var fieldUpdate = FieldUpdateContractResolver.FieldUpdateValueType(property.PropertyType) is not null;

        if (field?.Shape == JsonShape.ArrayOfObjects)
        {
            schema.Type = JsonSchemaType.Array;
            schema.Items = AnyObject();
        }

        // The declared nullability is the truth (Swashbuckle misreads it on positional records); a partial update
        // takes null for "clear this field" unless the field refuses it.
        var nullable = fieldUpdate
            || (!property.PropertyType.IsValueType || Nullable.GetUnderlyingType(property.PropertyType) is not null)
                && new NullabilityInfoContext().Create(property).ReadState != NullabilityState.NotNull;
        if (nullable)
            schema.Type = (schema.Type ?? 0) | JsonSchemaType.Null;
        else if (schema.Type is { } declared && declared != JsonSchemaType.Null)
            schema.Type = declared & ~JsonSchemaType.Null;

        if (field is { Required: true } or { NotNull: true } && schema.Type is { } type)
            schema.Type = type == JsonSchemaType.Null ? null : type & ~JsonSchemaType.Null;

        if (Values(field) is { Count: > 0 } values)
        {
            var array = schema.Type?.HasFlag(JsonSchemaType.Array) == true;
            var name = field!.EnumName ?? field.ValuesOf?.Name;
            if (name is null)
            {
                var target = array && schema.Items is OpenApiSchema items ? items : schema;
                target.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
            }
            else if (array)
            {
                schema.Items = Enum(repository, name, values);
            }
            else
            {
                // A reference cannot carry a description or nullability in OpenAPI 3.0: wrap it.
                schema.AllOf = [Enum(repository, name, values)];
                schema.Type = schema.Type?.HasFlag(JsonSchemaType.Null) == true ? JsonSchemaType.Null : null;
                schema.Format = null;
            }
        }
    }

    private static OpenApiSchemaReference Enum(SchemaRepository repository, string name, List<string> values)
    {
        if (!repository.Schemas.ContainsKey(name))
            repository.AddDefinition(name, new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))] });
        return new OpenApiSchemaReference(name);
    }

    /// <summary>A JSON object with any members.</summary>
    public static OpenApiSchema AnyObject() => new() { Type = JsonSchemaType.Object, AdditionalPropertiesAllowed = true, AdditionalProperties = new OpenApiSchema() };

    private static List<string>? Values(ApiFieldAttribute? field)
    {
        if (field?.Values is { } values)
            return [.. values];
        // A class that builds on another's constants (TaskRunStatus: the run's statuses and its own) lists them in All.
        if (field?.ValuesOf?.GetField("All", BindingFlags.Public | BindingFlags.Static) is { } all
            && all.GetValue(null) is IEnumerable<string> listed)
            return [.. listed];
        return field?.ValuesOf?.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();
    }

    private static string JsonName(PropertyInfo property) =>
        property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);
}
