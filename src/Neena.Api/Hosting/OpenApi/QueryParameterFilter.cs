using System.Text.Json;
using System.Text.Json.Nodes;
using FluentValidation;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Neena.Api.Hosting.OpenApi;

/// <summary>
/// Query parameters as clients send them: snake_case names (<c>skip</c>, not the C# property <c>Skip</c>), and for
/// parameters bound from a query model, the default and the limits its validator enforces.
/// </summary>
internal sealed class QueryParameterFilter(ValidatorLimits limits) : IParameterFilter
{
    public void Apply(IOpenApiParameter parameter, ParameterFilterContext context)
    {
        if (parameter is not OpenApiParameter concrete || context.ApiParameterDescription.Source != BindingSource.Query)
            return;
        concrete.Name = JsonNamingPolicy.SnakeCaseLower.ConvertName(concrete.Name!);

        if (context.PropertyInfo is not { DeclaringType: { } model } property || concrete.Schema is not OpenApiSchema schema)
            return;
        if (property.PropertyType == typeof(int) && model.GetConstructor(Type.EmptyTypes) is not null)
            schema.Default = JsonValue.Create((int)property.GetValue(Activator.CreateInstance(model))!);

        foreach (var rule in limits.RulesFor(model).Where(r => r.Member?.Name == property.Name))
            ValidatorLimits.Apply(rule, schema);
    }

}
