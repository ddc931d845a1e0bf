using System.Globalization;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Neena.Api.Auth;
using Neena.Api.Contracts.ApiKeys;
using Neena.Api.Contracts.Common;
using Neena.Api.Errors;
using Neena.Domain.ApiKeys;
using Neena.Persistence;
using Neena.Persistence.Identity;
using Neena.Persistence.Sql;

namespace Neena.Api.Services;

public sealed class ApiKeyService(NeenaDbContext db, TimeProvider time, PrincipalCache cache)
{
    /// <summary>
    /// Issues a key for the caller that cannot outrank or outlive the credential creating it: at most its permissions
    /// (more → 403, as for any missing permission), and when created with a key, no later expiry than that key's
    /// (its expiry is the default; later → 422) and revoked together with it.
    /// </summary>
    public async Task<CreatedApiKeyResponse> CreateAsync(ClaimsPrincipal caller, CreateApiKeyRequest request, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var parent = caller.GetApiKeyId() is { } parentId ? await LockUsableKeyAsync(parentId, cancellationToken) : null;

        var callerPermissions = parent?.Permissions ?? caller.GetPermissions();
        var wanted = request.Permissions ?? [.. callerPermissions];
        var missing = wanted.FirstOrDefault(p => !callerPermissions.Contains(p, StringComparer.Ordinal));
        if (missing is not null)
            throw ApiException.Forbidden($"Missing \"{missing}\" permission");

        var expiresAt = request.ExpiresAt;
        if (parent is not null)
        {
            expiresAt = parent.ChildExpiry(request.ExpiresAt, out var allowed);
            if (!allowed)
            {
                throw new RequestValidationException("body.expires_at", string.Create(CultureInfo.InvariantCulture,
                    $"ensure this value is not later than {parent.ExpiresAt:yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'}, when the API key creating it expires"));
            }
        }

        var (key, plaintext) = ApiKey.Issue(caller.GetOrganizationId()!.Value, caller.GetUserId()!.Value, request.Name!, wanted, expiresAt, parent?.Id);
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new CreatedApiKeyResponse(key.Id, key.Name, key.Prefix, key.Permissions, key.CreatedDate, key.ExpiresAt, key.LastUsedAt, key.RevokedAt, key.UserId, key.ParentKeyId, plaintext);
    }

    /// <summary>
    /// The creating key, locked FOR SHARE until the new key is committed: a revocation that comes first makes this read
    /// see it revoked; one that comes later waits for the new key and then cascades into it.
    /// </summary>
    private async Task<ApiKey> LockUsableKeyAsync(Guid id, CancellationToken cancellationToken)
    {
        var key = await new ApiKeyCommands(db).ForShare(id)
            .AsNoTracking()
            .FirstOrDefaultAsync(cancellationToken);
        if (key is null || !key.IsUsableAt(time.GetUtcNow().UtcDateTime))
            throw ApiException.Forbidden(ApiKeyAuthenticationHandler.InvalidApiKey);
        return key;
    }

    public async Task<IReadOnlyList<ApiKeyResponse>> ListAsync(PageQuery page, CancellationToken cancellationToken) =>
        await db.ApiKeys.AsNoTracking()
            .OrderByDescending(k => k.CreatedDate).ThenByDescending(k => k.Id)
            .Skip(page.Skip).Take(page.Limit)
            .Select(k => new ApiKeyResponse(k.Id, k.Name, k.Prefix, k.Permissions, k.CreatedDate, k.ExpiresAt, k.LastUsedAt, k.RevokedAt, k.UserId, k.ParentKeyId))
            .ToListAsync(cancellationToken);

    /// <summary>
    /// Revokes a key of the caller's organization and every key created with it, recursively; revoking twice keeps the
    /// first revocation time.
    /// </summary>
    public async Task<ApiKeyResponse> RevokeAsync(Guid id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var organizationId = db.Tenant.OrganizationId ?? throw ApiException.NotFound("API key not found");
        var email = db.Tenant.UserEmail;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            await new ApiKeyCommands(db).RevokeTreeAsync(new Tenant(organizationId), id, now, email, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        // Every instance hears of the revocation from the database; this one must not answer the caller's next request
        // before it has. The cascade stays within the organization.
        cache.Invalidate(CredentialChanges.Organization, organizationId);
        var key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == id, cancellationToken)
            ?? throw ApiException.NotFound("API key not found");
        return ApiKeyResponse.From(key);
    }
}
