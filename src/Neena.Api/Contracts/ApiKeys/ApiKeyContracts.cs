using FluentValidation;
using Neena.Domain.ApiKeys;
using Neena.Domain.Common;

namespace Neena.Api.Contracts.ApiKeys;

public sealed record CreateApiKeyRequest
{
    public string? Name { get; init; }
    public List<string>? Permissions { get; init; }
    public DateTime? ExpiresAt { get; init; }
}

public sealed class CreateApiKeyRequestValidator : AbstractValidator<CreateApiKeyRequest>
{
    public CreateApiKeyRequestValidator(TimeProvider time)
    {
        RuleFor(r => r.Name).NotEmpty().MaximumLength(100);
        RuleFor(r => r.Permissions).NotEmpty().When(r => r.Permissions is not null)
            .WithMessage("ensure this value has at least 1 items");
        RuleForEach(r => r.Permissions).Must(p => p is not null && Permissions.IsKnown(p))
            .WithMessage("unexpected value; permitted: 'read', 'write'");
        RuleFor(r => r.ExpiresAt).Must(e => e > time.GetUtcNow().UtcDateTime).When(r => r.ExpiresAt is not null)
            .WithMessage("ensure this value is in the future");
    }
}

/// <summary>A key as listed: never its secret nor its hash. <c>parent_key</c> is the key it was created with, if any.</summary>
public sealed record ApiKeyResponse(
    Guid Id,
    string Name,
    string Prefix,
    IReadOnlyList<string> Permissions,
    DateTime CreatedDate,
    DateTime? ExpiresAt,
    DateTime? LastUsedAt,
    DateTime? RevokedAt,
    Guid User,
    Guid? ParentKey)
{
    public static ApiKeyResponse From(ApiKey k) =>
        new(k.Id, k.Name, k.Prefix, k.Permissions, k.CreatedDate, k.ExpiresAt, k.LastUsedAt, k.RevokedAt, k.UserId, k.ParentKeyId);
}

/// <summary>The answer to creating a key: the only time <see cref="Key"/> is shown.</summary>
public sealed record CreatedApiKeyResponse(
    Guid Id,
    string Name,
    string Prefix,
    IReadOnlyList<string> Permissions,
    DateTime CreatedDate,
    DateTime? ExpiresAt,
    DateTime? LastUsedAt,
    DateTime? RevokedAt,
    Guid User,
    Guid? ParentKey,
    string Key);
