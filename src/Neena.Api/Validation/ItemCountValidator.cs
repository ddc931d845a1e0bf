using System.Collections;
using FluentValidation;
using FluentValidation.Validators;

namespace Neena.Api.Validation;

/// <summary>An item count the OpenAPI document can read back (<see cref="Hosting.OpenApi.ValidatorLimits"/>): minItems / maxItems.</summary>
public interface IItemCountValidator
{
    int? Min { get; }
    int? Max { get; }
}

/// <summary>Refuses a collection with fewer than <c>min</c> or more than <c>max</c> items; null passes (NotNull says otherwise).</summary>
internal sealed class ItemCountValidator<T, TCollection>(int? min, int? max) : PropertyValidator<T, TCollection>, IItemCountValidator
    where TCollection : IEnumerable?
{
    public int? Min => min;
    public int? Max => max;

    public override string Name => "ItemCountValidator";

    public override bool IsValid(ValidationContext<T> context, TCollection value)
    {
        if (value is null)
            return true;
        var count = value is ICollection collection ? collection.Count : value.Cast<object?>().Count();
        if (min is { } atLeast && count < atLeast)
        {
            context.MessageFormatter.AppendArgument("Limit", atLeast);
            return false;
        }
        if (max is { } atMost && count > atMost)
        {
            context.MessageFormatter.AppendArgument("Limit", atMost);
            return false;
        }
        return true;
    }

    protected override string GetDefaultMessageTemplate(string errorCode) =>
        max is not null ? "ensure this value has at most {Limit} items" : "ensure this value has at least {Limit} items";
}

public static class ItemCountRules
{
    /// <summary>At most <paramref name="max"/> items, in the original's (pydantic's) words.</summary>
    public static IRuleBuilderOptions<T, TCollection> MaxItems<T, TCollection>(this IRuleBuilder<T, TCollection> rule, int max)
        where TCollection : IEnumerable? =>
        rule.SetValidator(new ItemCountValidator<T, TCollection>(null, max));
}
