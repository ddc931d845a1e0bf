using System.Globalization;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Neena.Api.Validation;

/// <summary>
/// Dates outside a JSON body (<c>start_date</c>, <c>end_date</c>) become UTC instants. MVC's default conversion goes
/// through the machine's time zone and clamps what falls outside <see cref="DateTime"/>'s range, so
/// <c>0001-01-01T00:00:00+01:00</c> (an instant before year 1 in UTC) came back as another instant: it is a 422 instead.
/// </summary>
internal sealed class UtcDateTimeModelBinderProvider : IModelBinderProvider
{
    public IModelBinder? GetBinder(ModelBinderProviderContext context)
    {
        var type = Nullable.GetUnderlyingType(context.Metadata.ModelType) ?? context.Metadata.ModelType;
        return type == typeof(DateTime) ? new UtcDateTimeModelBinder() : null;
    }
}

internal sealed class UtcDateTimeModelBinder : IModelBinder
{
    public Task BindModelAsync(ModelBindingContext bindingContext)
    {
        var value = bindingContext.ValueProvider.GetValue(bindingContext.ModelName);
        // Absent and empty values keep MVC's handling (defaults, "field required").
        if (value == ValueProviderResult.None || value.FirstValue is not { Length: > 0 } text)
            return Task.CompletedTask;
        bindingContext.ModelState.SetModelValue(bindingContext.ModelName, value);
        if (TryParse(text, out var utc))
            bindingContext.Result = ModelBindingResult.Success(utc);
        else
        {
            bindingContext.ModelState.TryAddModelError(bindingContext.ModelName, ValidationErrors.TypeMessage(bindingContext.ModelType));
            bindingContext.Result = ModelBindingResult.Failed();
        }
        return Task.CompletedTask;
    }

    /// <summary>Input without an offset is UTC; an instant that cannot be represented in UTC is refused, never moved.</summary>
    public static bool TryParse(string text, out DateTime utc)
    {
        utc = default;
        // DateTimeOffset refuses a wall time whose UTC instant falls outside years 1–9999 instead of clamping it.
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
            return false;
        utc = instant.UtcDateTime;
        return true;
    }
}
