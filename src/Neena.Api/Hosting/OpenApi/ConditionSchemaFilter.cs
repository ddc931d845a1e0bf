using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Neena.Api.Contracts.Flows;
using Neena.Api.Contracts.Generation;
using Neena.Domain.Flows;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Neena.Api.Hosting.OpenApi;

/// <summary>
/// A dependency's <c>condition</c> is a JSON object to the contracts (it is stored as sent), but its shape is fixed
/// (issue 20): <c>any</c> → <c>all</c> → <c>{left, op, right}</c>, with the operator set and the limits that
/// <see cref="DependencyCondition"/> enforces, so a generated client or validator knows them.
/// </summary>
internal sealed class ConditionSchemaFilter : ISchemaFilter
{
    public const string ConditionSchema = "DependencyCondition";

    private static readonly HashSet<Type> Dependencies = [typeof(TaskDependencyBody), typeof(TaskDependencyResponse), typeof(GeneratedDependency)];

    /// <summary>What <c>for_each</c> must be: exactly one <c>{{…}}</c> binding with no text around it.</summary>
    public const string ForEachPattern = @"^\{\{[^{}]+\}\}$";

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is OpenApiSchema forEach && context.MemberInfo is PropertyInfo { Name: "ForEach" } && context.MemberInfo.DeclaringType == typeof(TaskOperationBody))
        {
            forEach.Pattern = ForEachPattern;
            forEach.MaxLength ??= 4000;
            return;
        }
        if (schema is not OpenApiSchema concrete || context.MemberInfo is not PropertyInfo { Name: "Condition" } property
            || property.DeclaringType is null || !Dependencies.Contains(property.DeclaringType))
            return;
        if (!context.SchemaRepository.Schemas.ContainsKey(ConditionSchema))
            context.SchemaRepository.AddDefinition(ConditionSchema, Condition());
        // As nullable enums are: a reference cannot carry nullability in OpenAPI 3.0, so it is wrapped.
        concrete.AllOf = [new OpenApiSchemaReference(ConditionSchema)];
        concrete.Type = JsonSchemaType.Null;
        concrete.Properties = null;
        concrete.AdditionalProperties = null;
        concrete.AdditionalPropertiesAllowed = true;
    }

    private static OpenApiSchema Condition()
    {
        var test = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "One test. `left` and `right`: a JSON literal or a binding string; `right` is ignored by exists, not_exists, is_empty and is_not_empty (and required by the others).",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["left"] = new OpenApiSchema { Description = "A JSON literal, or a binding such as \"{{tasks.0.result.name}}\" or \"{{tasks.0.status}}\"." },
                ["op"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. ConditionOps.All.Select(o => (JsonNode)JsonValue.Create(o))] },
                ["right"] = new OpenApiSchema { Description = "A JSON literal or a binding." },
            },
            Required = new SortedSet<string>(["left", "op"], StringComparer.Ordinal),
            AdditionalPropertiesAllowed = false,
        };
        var group = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "Holds when every test holds (AND).",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["all"] = new OpenApiSchema { Type = JsonSchemaType.Array, MinItems = 1, MaxItems = DependencyCondition.MaxTests, Items = test },
            },
            Required = new SortedSet<string>(["all"], StringComparer.Ordinal),
            AdditionalPropertiesAllowed = false,
        };
        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "An OR of ANDs, decided once when the source task has ended: the dependency is taken when some group holds.",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["any"] = new OpenApiSchema { Type = JsonSchemaType.Array, MinItems = 1, MaxItems = DependencyCondition.MaxGroups, Items = group },
            },
            Required = new SortedSet<string>(["any"], StringComparer.Ordinal),
            AdditionalPropertiesAllowed = false,
        };
    }
}
