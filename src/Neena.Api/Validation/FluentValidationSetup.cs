using System.Collections.Concurrent;
using System.Text.Json;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Neena.Api.Errors;

namespace Neena.Api.Validation;

public static class FluentValidationSetup
{
    /// <summary>Property names in snake_case and messages in the original's (pydantic's) words, for every validator.</summary>
    public static void ConfigureGlobalOptions()
    {
        ValidatorOptions.Global.PropertyNameResolver = (_, member, _) =>
            member is null ? null : JsonNamingPolicy.SnakeCaseLower.ConvertName(member.Name);
        ValidatorOptions.Global.DisplayNameResolver = (_, member, _) =>
            member is null ? null : JsonNamingPolicy.SnakeCaseLower.ConvertName(member.Name);
        ValidatorOptions.Global.LanguageManager = new PydanticMessages(ValidatorOptions.Global.LanguageManager);
    }

    /// <summary>The original's messages for the built-in validators; everything else falls back to FluentValidation's.</summary>
    private sealed class PydanticMessages(FluentValidation.Resources.ILanguageManager fallback) : FluentValidation.Resources.ILanguageManager
    {
        private static readonly Dictionary<string, string> Messages = new(StringComparer.Ordinal)
        {
            ["NotNullValidator"] = ValidationErrors.FieldRequired,
            ["NotEmptyValidator"] = ValidationErrors.FieldRequired,
            ["MinimumLengthValidator"] = "ensure this value has at least {MinLength} characters",
            ["MaximumLengthValidator"] = "ensure this value has at most {MaxLength} characters",
            ["EmailValidator"] = "value is not a valid email address",
            ["InclusiveBetweenValidator"] = "ensure this value is between {From} and {To}",
            ["GreaterThanOrEqualValidator"] = "ensure this value is greater than or equal to {ComparisonValue}",
            ["LessThanOrEqualValidator"] = "ensure this value is less than or equal to {ComparisonValue}",
            ["GreaterThanValidator"] = "ensure this value is greater than {ComparisonValue}",
        };

        public bool Enabled { get; set; } = true;
        public System.Globalization.CultureInfo? Culture { get; set; }

        public string GetString(string key, System.Globalization.CultureInfo? culture = null) =>
            Messages.TryGetValue(key, out var message) ? message : fallback.GetString(key, culture);
    }
}

/// <summary>Runs the FluentValidation validator of every bound body and query model before the action, answering 422 in the contract's shape.</summary>
internal sealed class ValidationFilter : IAsyncActionFilter
{
    // Which parameters of an action have a validator, worked out once per action: most reads have none, and finding out
    // (a generic type made and looked up) was work on every request (issue 23).
    private readonly ConcurrentDictionary<ActionDescriptor, Validated[]> _plans = new();

    public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        var services = context.HttpContext.RequestServices;
        var plan = _plans.GetOrAdd(context.ActionDescriptor, static (action, services) => Plan(action, services), services);
        List<KeyValuePair<string, string>>? errors = null;
        foreach (var parameter in plan)
        {
            if (!context.ActionArguments.TryGetValue(parameter.Name, out var argument) || argument is null)
                continue;
            if (services.GetService(parameter.ValidatorType) is not IValidator validator)
                continue;
            var result = await validator.ValidateAsync(new ValidationContext<object>(argument), context.HttpContext.RequestAborted);
            if (result.Errors.Count == 0)
                continue;
            errors ??= [];
            errors.AddRange(result.Errors.Select(e => new KeyValuePair<string, string>(
                string.IsNullOrEmpty(e.PropertyName) ? parameter.Location : $"{parameter.Location}.{ValidationErrors.NormalizePath(e.PropertyName)}",
                e.ErrorMessage)));
        }
        if (errors is not null)
        {
            context.Result = new UnprocessableEntityObjectResult(ValidationErrorResponse.From(errors));
            return;
        }
        await next();
    }

    private static Validated[] Plan(ActionDescriptor action, IServiceProvider services)
    {
        var plan = new List<Validated>();
        foreach (var parameter in action.Parameters.OfType<ControllerParameterDescriptor>())
        {
            var validatorType = typeof(IValidator<>).MakeGenericType(parameter.ParameterType);
            // Validators are registered at startup, so one that is not there now never will be.
            if (services.GetService(validatorType) is not IValidator)
                continue;
            var location = parameter.BindingInfo?.BindingSource == BindingSource.Body ? "body" : "query";
            plan.Add(new Validated(parameter.Name, validatorType, location));
        }
        return [.. plan];
    }

    private sealed record Validated(string Name, Type ValidatorType, string Location);
}
