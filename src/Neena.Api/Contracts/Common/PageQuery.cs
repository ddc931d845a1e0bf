using FluentValidation;

namespace Neena.Api.Contracts.Common;

/// <summary><c>skip</c> and <c>limit</c> of every list endpoint.</summary>
public sealed record PageQuery
{
    /// <summary>How many items to skip, in the list's order (newest first).</summary>
    public int Skip { get; init; }

    /// <summary>The most items to answer.</summary>
    public int Limit { get; init; } = 100;
}

public sealed class PageQueryValidator : AbstractValidator<PageQuery>
{
    public PageQueryValidator()
    {
        RuleFor(q => q.Skip).GreaterThanOrEqualTo(0);
        RuleFor(q => q.Limit).InclusiveBetween(0, 1000);
    }
}
