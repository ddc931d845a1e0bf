using FluentValidation;
using Neena.Api.Contracts.Common;

namespace Neena.Api.Contracts.Users;

/// <param name="Permissions">The permissions of the credential used for this request; null in the answer of <c>create_if_not_exists</c>.</param>
/// <param name="Organization">The id of the user's organization.</param>
[OutputSchema("User")]
public sealed record UserResponse(
    string Email,
    string? FullName,
    string? Auth0Id,
    Guid Id,
    [property: ApiField(ValuesOf = typeof(Domain.Common.Permissions), EnumName = "Permission")] IReadOnlyList<string>? Permissions,
    Guid Organization);

[InputSchema("UserCreate")]
public sealed record CreateUserRequest
{
    /// <summary>The token's email.</summary>
    [ApiField(Required = true)]
    public string? Email { get; init; }

    /// <summary>At most 200 characters.</summary>
    public string? FullName { get; init; }

    /// <summary>The token's subject (<c>sub</c>).</summary>
    [ApiField(Required = true)]
    public string? Auth0Id { get; init; }
}

public sealed class CreateUserRequestValidator : AbstractValidator<CreateUserRequest>
{
    public CreateUserRequestValidator()
    {
        RuleFor(r => r.Email).NotNull().MaximumLength(320).EmailAddress();
        RuleFor(r => r.Auth0Id).NotEmpty().MaximumLength(200);
        RuleFor(r => r.FullName).MaximumLength(200);
    }
}

/// <summary>What a user may change of themselves (the original's <c>PUT /users/</c>).</summary>
[InputSchema("UserUpdate")]
public sealed record UpdateUserRequest
{
    /// <summary>The new name, at most 200 characters.</summary>
    [ApiField(Required = true)]
    public string? FullName { get; init; }
}

public sealed class UpdateUserRequestValidator : AbstractValidator<UpdateUserRequest>
{
    public UpdateUserRequestValidator() => RuleFor(r => r.FullName).NotNull().MaximumLength(200);
}
