using FluentValidation;

namespace Neena.Api.Contracts.Users;

public sealed record UserResponse(string Email, string? FullName, string? Auth0Id, Guid Id, IReadOnlyList<string>? Permissions, Guid Organization);

public sealed record CreateUserRequest
{
    public string? Email { get; init; }
    public string? FullName { get; init; }
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
