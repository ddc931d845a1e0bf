using FluentValidation;

namespace Neena.Api.Contracts.Common;

/// <summary><c>skip</c> and <c>limit</c> of every list endpoint.</summary>
public sealed record PageQuery
{
    public int Skip { get; init; }
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
