using FluentValidation;
using Neena.Api.Contracts.Common;
using Neena.Domain.ApiKeys;
using Neena.Domain.Common;

namespace Neena.Api.Contracts.ApiKeys;

[InputSchema("ApiKeyCreate")]
public sealed record CreateApiKeyRequest
{
    /// <summary>A label for the key (1–100 characters), e.g. where it is used.</summary>
    [ApiField(Required = true)]
    public string? Name { get; init; }

    /// <summary>At least one of <c>read</c> and <c>write</c>, and no more than the calling credential has; left out, the key gets the caller's permissions.</summary>
    [ApiField(ValuesOf = typeof(Domain.Common.Permissions), EnumName = "Permission")]
    public List<string>? Permissions { get; init; }

    /// <summary>When the key stops working (in the future); left out or null, it never expires.</summary>
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
/// <param name="Prefix">The first characters of the key, to recognise it.</param>
/// <param name="User">The id of the user the key acts as.</param>
[OutputSchema("ApiKey")]
public sealed record ApiKeyResponse(
    Guid Id,
    string Name,
    string Prefix,
    [property: ApiField(ValuesOf = typeof(Domain.Common.Permissions), EnumName = "Permission")] IReadOnlyList<string> Permissions,
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
/// <param name="Key">The key itself: send it as <c>Authorization: Bearer KEY</c> or <c>api_key: KEY</c>. It is never shown again.</param>
[OutputSchema("ApiKeyCreated")]
public sealed record CreatedApiKeyResponse(
    Guid Id,
    string Name,
    string Prefix,
    [property: ApiField(ValuesOf = typeof(Domain.Common.Permissions), EnumName = "Permission")] IReadOnlyList<string> Permissions,
    DateTime CreatedDate,
    DateTime? ExpiresAt,
    DateTime? LastUsedAt,
    DateTime? RevokedAt,
    Guid User,
    Guid? ParentKey,
    string Key);
