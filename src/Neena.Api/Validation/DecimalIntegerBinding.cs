using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.ModelBinding.Binders;

namespace Neena.Api.Validation;

/// <summary>
/// Integers outside a JSON body (query parameters such as <c>skip</c> and <c>limit</c>) are plain decimal: ASCII digits
/// with an optional leading <c>-</c>. MVC's default conversion goes through <c>Int32Converter</c>, which also reads
/// <c>0x10</c> as 16 and accepts <c>+5</c>, whitespace and other cultures' digits; a client sending those has a bug
/// we should report, not guess around. Registered first, so it decides for every integer parameter and property.
/// </summary>
internal sealed class DecimalIntegerModelBinderProvider : IModelBinderProvider
{
    private static readonly HashSet<Type> IntegerTypes =
        [typeof(int), typeof(long), typeof(short), typeof(byte), typeof(sbyte), typeof(uint), typeof(ulong), typeof(ushort)];

    public IModelBinder? GetBinder(ModelBinderProviderContext context)
    {
        var type = Nullable.GetUnderlyingType(context.Metadata.ModelType) ?? context.Metadata.ModelType;
        if (!IntegerTypes.Contains(type))
            return null;
        var loggerFactory = context.Services.GetRequiredService<ILoggerFactory>();
        return new DecimalIntegerModelBinder(new SimpleTypeModelBinder(context.Metadata.ModelType, loggerFactory));
    }
}

/// <summary>Refuses anything but plain decimal, then lets MVC's binder convert (range and overflow errors stay its own).</summary>
internal sealed class DecimalIntegerModelBinder(IModelBinder inner) : IModelBinder
{
    public Task BindModelAsync(ModelBindingContext bindingContext)
    {
        var value = bindingContext.ValueProvider.GetValue(bindingContext.ModelName);
        // Absent and empty values keep MVC's handling (defaults, "field required").
        if (value != ValueProviderResult.None && value.FirstValue is { Length: > 0 } text && !IsPlainDecimal(text))
        {
            bindingContext.ModelState.SetModelValue(bindingContext.ModelName, value);
            bindingContext.ModelState.TryAddModelError(bindingContext.ModelName, ValidationErrors.TypeMessage(bindingContext.ModelType));
            bindingContext.Result = ModelBindingResult.Failed();
            return Task.CompletedTask;
        }
        return inner.BindModelAsync(bindingContext);
    }

    public static bool IsPlainDecimal(string text)
    {
        var digits = text.StartsWith('-') ? text.AsSpan(1) : text.AsSpan();
        // ASCII only: other scripts' digits (which char.IsDigit accepts) are not decimal integers here.
        return digits.Length > 0 && !digits.ContainsAnyExceptInRange('0', '9');
    }
}
