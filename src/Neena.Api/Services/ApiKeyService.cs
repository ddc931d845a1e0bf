using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Neena.Api.Auth;
using Neena.Api.Contracts.ApiKeys;
using Neena.Api.Contracts.Common;
using Neena.Api.Errors;
using Neena.Domain.ApiKeys;
using Neena.Persistence;

namespace Neena.Api.Services;

public sealed class ApiKeyService(NeenaDbContext db, TimeProvider time)
{
    public async Task<CreatedApiKeyResponse> CreateAsync(ClaimsPrincipal caller, CreateApiKeyRequest request, CancellationToken cancellationToken)
    {
        var callerPermissions = caller.GetPermissions();
        // A key may not carry more than the credential that creates it, or read-only keys could mint writers.
        var wanted = request.Permissions ?? [.. callerPermissions];
        var missing = wanted.FirstOrDefault(p => !callerPermissions.Contains(p));
        if (missing is not null)
            throw ApiException.Forbidden($"Missing \"{missing}\" permission");

        var (key, plaintext) = ApiKey.Issue(caller.GetOrganizationId()!.Value, caller.GetUserId()!.Value, request.Name!, wanted, request.ExpiresAt);
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        return new CreatedApiKeyResponse(key.Id, key.Name, key.Prefix, key.Permissions, key.CreatedDate, key.ExpiresAt, key.LastUsedAt, key.RevokedAt, key.UserId, plaintext);
    }

    public async Task<IReadOnlyList<ApiKeyResponse>> ListAsync(PageQuery page, CancellationToken cancellationToken) =>
        await db.ApiKeys.AsNoTracking()
            .OrderByDescending(k => k.CreatedDate).ThenByDescending(k => k.Id)
            .Skip(page.Skip).Take(page.Limit)
            .Select(k => new ApiKeyResponse(k.Id, k.Name, k.Prefix, k.Permissions, k.CreatedDate, k.ExpiresAt, k.LastUsedAt, k.RevokedAt, k.UserId))
            .ToListAsync(cancellationToken);

    /// <summary>Revokes a key of the caller's organization; revoking twice keeps the first revocation time.</summary>
    public async Task<ApiKeyResponse> RevokeAsync(Guid id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await db.ApiKeys.Where(k => k.Id == id && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now).SetProperty(k => k.ModifiedDate, now).SetProperty(k => k.ModifiedByEmail, db.Tenant.UserEmail), cancellationToken);
        var key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == id, cancellationToken)
            ?? throw ApiException.NotFound("API key not found");
        return ApiKeyResponse.From(key);
    }
}
