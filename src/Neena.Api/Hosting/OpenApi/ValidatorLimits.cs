using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation;
using FluentValidation.Validators;
using Microsoft.OpenApi;
using Neena.Api.Contracts.FlowRequests;
using Neena.Api.Contracts.Notifications;
using Neena.Api.Contracts.Triggers;
using Neena.Api.Validation;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Neena.Api.Hosting.OpenApi;

/// <summary>
/// The limits the FluentValidation validators enforce, read from the validators themselves, so that the document
/// cannot drift from them: lengths (<c>minLength</c>/<c>maxLength</c>, <c>NotEmpty</c> as 1), numeric bounds
/// (<c>minimum</c>/<c>maximum</c>), patterns, item counts (<see cref="ItemCountValidator{T, TElement}"/>), for body contracts,
/// the objects nested in them (<c>ChildRules</c>) and query parameters (<see cref="QueryParameterFilter"/>).
/// </summary>
internal sealed class ValidatorLimits(IServiceScopeFactory scopes)
{
    /// <summary>
    /// Partial updates check their fields in one <c>Custom</c> rule (a field left out is not checked), which cannot be read;
    /// a field that is sent is held to the same limits as when the resource is created.
    /// </summary>
    private static readonly Dictionary<Type, Type> SameLimitsAs = new()
    {
        [typeof(UpdateFlowRequestRequest)] = typeof(CreateFlowRequestRequest),
        [typeof(UpdateWebhookTriggerOperationRequest)] = typeof(CreateWebhookTriggerOperationRequest),
        [typeof(UpdateScheduleTriggerOperationRequest)] = typeof(CreateScheduleTriggerOperationRequest),
        [typeof(UpdateNotificationSubscriptionRequest)] = typeof(CreateNotificationSubscriptionRequest),
    };

    private readonly Lazy<Dictionary<Type, List<IValidator>>> validators = new(() => Collect(scopes));

    /// <summary>The rules of the validators for <paramref name="type"/> (including those nested in a parent's validator).</summary>
    public IEnumerable<IValidationRule> RulesFor(Type type)
    {
        var own = validators.Value.GetValueOrDefault(type) ?? [];
        var borrowed = SameLimitsAs.TryGetValue(type, out var create) ? validators.Value.GetValueOrDefault(create) ?? [] : [];
        return own.Concat(borrowed).SelectMany(v => v.CreateDescriptor().Rules);
    }

    /// <summary>Puts the limits of one property's rule into its schema (the items' schema for a <c>RuleForEach</c>).</summary>
    public static void Apply(IValidationRule rule, OpenApiSchema schema)
    {
        var target = IsCollectionRule(rule) ? schema.Items as OpenApiSchema : schema;
        if (target?.Type is not { } type)
            return;
        // A condition on a rule here is a presence check (When(x is not null)); the schema's limits apply to a value that is present.
        foreach (var validator in rule.Components.Select(c => c.Validator))
        {
            if (type.HasFlag(JsonSchemaType.String))
                ApplyString(validator, target);
            else if (type.HasFlag(JsonSchemaType.Integer) || type.HasFlag(JsonSchemaType.Number))
                ApplyNumber(validator, target);
            else if (type.HasFlag(JsonSchemaType.Array))
                ApplyArray(validator, target);
        }
    }

    private static void ApplyString(IPropertyValidator validator, OpenApiSchema schema)
    {
        switch (validator)
        {
            case ILengthValidator length:
                if (length.Min > 0)
                    schema.MinLength = Math.Max(schema.MinLength ?? 0, length.Min);
                if (length.Max > 0)
                    schema.MaxLength = Math.Min(schema.MaxLength ?? int.MaxValue, length.Max);
                break;
            case INotEmptyValidator:
                schema.MinLength = Math.Max(schema.MinLength ?? 0, 1);
                break;
            case IRegularExpressionValidator regex:
                schema.Pattern ??= regex.Expression;
                break;
        }
    }

    private static void ApplyNumber(IPropertyValidator validator, OpenApiSchema schema)
    {
        switch (validator)
        {
            case IBetweenValidator between when validator.Name == "InclusiveBetweenValidator":
                schema.Minimum = Text(between.From);
                schema.Maximum = Text(between.To);
                break;
            case IComparisonValidator { Comparison: Comparison.GreaterThanOrEqual } atLeast when atLeast.ValueToCompare is not null:
                schema.Minimum = Text(atLeast.ValueToCompare);
                break;
            case IComparisonValidator { Comparison: Comparison.LessThanOrEqual } atMost when atMost.ValueToCompare is not null:
                schema.Maximum = Text(atMost.ValueToCompare);
                break;
        }
    }

    private static void ApplyArray(IPropertyValidator validator, OpenApiSchema schema)
    {
        switch (validator)
        {
            case INotEmptyValidator:
                schema.MinItems = Math.Max(schema.MinItems ?? 0, 1);
                break;
            case IItemCountValidator count:
                if (count.Min is { } min)
                    schema.MinItems = Math.Max(schema.MinItems ?? 0, min);
                if (count.Max is { } max)
                    schema.MaxItems = Math.Min(schema.MaxItems ?? int.MaxValue, max);
                break;
        }
    }

    public static string JsonName(PropertyInfo property) =>
        property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);

    private static bool IsCollectionRule(IValidationRule rule) =>
        rule.GetType().GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(ICollectionRule<,>));

    private static string? Text(object? value) => Convert.ToString(value, CultureInfo.InvariantCulture);

    /// <summary>Every registered validator by the type it validates, and the validators nested in them by the type of their objects.</summary>
    private static Dictionary<Type, List<IValidator>> Collect(IServiceScopeFactory scopes)
    {
        using var scope = scopes.CreateScope();
        var found = new Dictionary<Type, List<IValidator>>();
        var contracts = typeof(ValidatorLimits).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false })
            .SelectMany(t => t.GetInterfaces())
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IValidator<>))
            .Select(i => i.GetGenericArguments()[0])
            .Distinct();
        foreach (var contract in contracts)
        {
            if (scope.ServiceProvider.GetService(typeof(IValidator<>).MakeGenericType(contract)) is IValidator validator)
                Add(found, contract, validator);
        }
        return found;
    }

    private static void Add(Dictionary<Type, List<IValidator>> found, Type type, IValidator validator)
    {
        if (!found.TryGetValue(type, out var list))
            found[type] = list = [];
        if (list.Contains(validator))
            return;
        list.Add(validator);
        // ChildRules keep their inline validator in the adaptor; its object type is what the inline validator validates.
        foreach (var adaptor in validator.CreateDescriptor().Rules.SelectMany(r => r.Components).Select(c => c.Validator).OfType<IChildValidatorAdaptor>())
        {
            var child = adaptor.GetType().GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
                .Select(f => f.GetValue(adaptor)).OfType<IValidator>().FirstOrDefault();
            var of = child?.GetType().GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IValidator<>))?.GetGenericArguments()[0];
            if (child is not null && of is not null)
                Add(found, of, child);
        }
    }
}

/// <summary>Puts the validators' limits into each body contract's schema (and the schemas of the objects nested in it).</summary>
internal sealed class ValidatorLimitsSchemaFilter(ValidatorLimits limits) : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema { Properties: { Count: > 0 } properties } || context.MemberInfo is not null || context.ParameterInfo is not null)
            return;
        foreach (var rule in limits.RulesFor(context.Type))
        {
            if (rule.Member is PropertyInfo property && properties.TryGetValue(ValidatorLimits.JsonName(property), out var field) && field is OpenApiSchema concrete)
                ValidatorLimits.Apply(rule, concrete);
        }
    }
}
