using System.Text.Json;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
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
internal sealed class ValidationFilter(IServiceProvider services) : IAsyncActionFilter
{
    public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        var errors = new List<KeyValuePair<string, string>>();
        foreach (var parameter in context.ActionDescriptor.Parameters.OfType<ControllerParameterDescriptor>())
        {
            if (!context.ActionArguments.TryGetValue(parameter.Name, out var argument) || argument is null)
                continue;
            var validatorType = typeof(IValidator<>).MakeGenericType(parameter.ParameterType);
            if (services.GetService(validatorType) is not IValidator validator)
                continue;
            var location = parameter.BindingInfo?.BindingSource == BindingSource.Body ? "body" : "query";
            var result = await validator.ValidateAsync(new ValidationContext<object>(argument), context.HttpContext.RequestAborted);
            errors.AddRange(result.Errors.Select(e => new KeyValuePair<string, string>(
                string.IsNullOrEmpty(e.PropertyName) ? location : $"{location}.{ValidationErrors.NormalizePath(e.PropertyName)}",
                e.ErrorMessage)));
        }
        if (errors.Count > 0)
        {
            context.Result = new UnprocessableEntityObjectResult(ValidationErrorResponse.From(errors));
            return;
        }
        await next();
    }
}
