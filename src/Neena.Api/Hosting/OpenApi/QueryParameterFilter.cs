using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentValidation;
using FluentValidation.Validators;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Neena.Api.Hosting.OpenApi;

/// <summary>
/// Query parameters as clients send them: snake_case names (<c>skip</c>, not the C# property <c>Skip</c>), and for
/// parameters bound from a query model, the default and the bounds its validator enforces.
/// </summary>
internal sealed class QueryParameterFilter(IServiceScopeFactory scopes) : IParameterFilter
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

        using var scope = scopes.CreateScope();
        if (scope.ServiceProvider.GetService(typeof(IValidator<>).MakeGenericType(model)) is not IValidator validator)
            return;
        var components = validator.CreateDescriptor().Rules
            .Where(r => r.Member?.Name == property.Name)
            .SelectMany(r => r.Components)
            .Where(c => !c.HasCondition && !c.HasAsyncCondition);
        foreach (var component in components)
        {
            switch (component.Validator)
            {
                case IBetweenValidator between:
                    schema.Minimum = Text(between.From);
                    schema.Maximum = Text(between.To);
                    break;
                case IComparisonValidator { Comparison: Comparison.GreaterThanOrEqual } atLeast:
                    schema.Minimum = Text(atLeast.ValueToCompare);
                    break;
                case IComparisonValidator { Comparison: Comparison.LessThanOrEqual } atMost:
                    schema.Maximum = Text(atMost.ValueToCompare);
                    break;
            }
        }
    }

    private static string? Text(object? value) => Convert.ToString(value, CultureInfo.InvariantCulture);
}
