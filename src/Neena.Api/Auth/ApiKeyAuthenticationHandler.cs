using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Neena.Api.Errors;
using Neena.Api.Workers;
using Neena.Domain.ApiKeys;
using Neena.Persistence;

namespace Neena.Api.Auth;

/// <summary>
/// Authenticates server-issued API keys from <c>Authorization: Bearer</c> or the <c>api_key</c> header, and answers
/// every request it cannot authenticate with the original's 403 bodies. A known usable key is served from the
/// <see cref="PrincipalCache"/> (its expiry still checked on every use); anything else is looked up.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TimeProvider time,
    PrincipalCache cache,
    ApiKeyUsage usage) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "api_key";
    public const string InvalidApiKey = "Invalid API Key";
    public const string NotAuthenticated = "Not authenticated";

    // last_used_at is a hint, not an audit log: one recorded use per key per minute, written in batches (ApiKeyUsage).
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = CredentialReader.ReadBearer(Request) ?? CredentialReader.ReadApiKeyHeader(Request);
        if (presented is null)
            return AuthenticateResult.NoResult();
        if (presented.Length > 200)
            return AuthenticateResult.Fail(InvalidApiKey);

        var hash = ApiKey.Hash(presented);
        var now = time.GetUtcNow().UtcDateTime;
        if (cache.TryGetApiKey(hash, out var entry))
        {
            // Expiry is exact without a lookup: the cached expiry is the stored one (a change to it evicts the entry).
            if (!ApiKey.IsUsable(null, entry.Value.ExpiresAt, now))
                return AuthenticateResult.Fail(InvalidApiKey);
            if (entry.TryMarkUsed(now, LastUsedResolution))
                usage.Record(entry.Value.KeyId, now);
            return Success(entry.Value);
        }

        var epoch = cache.Epoch;
        var db = Context.RequestServices.GetRequiredService<NeenaDbContext>();
        var found = await db.ApiKeys
            .IgnoreQueryFilters()
            .AsNoTracking()
            .Where(k => k.KeyHash == hash)
            .Select(k => new
            {
                k.Id,
                k.UserId,
                k.OrganizationId,
                k.Permissions,
                k.ExpiresAt,
                k.RevokedAt,
                k.LastUsedAt,
                User = db.Users.IgnoreQueryFilters().Where(u => u.Id == k.UserId).Select(u => new { u.Email, u.Auth0Id }).First(),
            })
            .FirstOrDefaultAsync(Context.RequestAborted);

        if (found is null || !ApiKey.IsUsable(found.RevokedAt, found.ExpiresAt, now))
            return AuthenticateResult.Fail(InvalidApiKey);

        var key = new CachedApiKey(found.Id, found.UserId, found.OrganizationId, found.User.Email, found.User.Auth0Id, found.Permissions, found.ExpiresAt);
        var lastUsedAt = found.LastUsedAt;
        if (lastUsedAt is null || now - lastUsedAt > LastUsedResolution)
        {
            usage.Record(found.Id, now);
            lastUsedAt = now;
        }
        cache.AddApiKey(hash, key, lastUsedAt, epoch);
        return Success(key);
    }

    private static AuthenticateResult Success(CachedApiKey key)
    {
        var claims = new List<Claim>(6 + key.Permissions.Count)
        {
            new(NeenaClaims.UserId, key.UserId.ToString()),
            new(NeenaClaims.OrganizationId, key.OrganizationId.ToString()),
            new(NeenaClaims.Email, key.Email),
            new(NeenaClaims.Credential, "api_key"),
            new(NeenaClaims.ApiKeyId, key.KeyId.ToString()),
        };
        if (key.Auth0Id is not null)
            claims.Add(new Claim(NeenaClaims.Subject, key.Auth0Id));
        claims.AddRange(key.Permissions.Select(p => new Claim(NeenaClaims.Permission, p)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName, NeenaClaims.Email, null));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        await ErrorWriter.WriteDetailAsync(Context, StatusCodes.Status403Forbidden, result.Failure is null ? NotAuthenticated : InvalidApiKey);
    }
}

internal static class CredentialReader
{
    /// <summary>The token of <c>Authorization: Bearer &lt;token&gt;</c>, or null.</summary>
    public static string? ReadBearer(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            return null;
        var token = header[prefix.Length..].Trim();
        return token.Length == 0 ? null : token;
    }

    public static string? ReadApiKeyHeader(HttpRequest request)
    {
        var value = request.Headers[ApiKeyAuthenticationHandler.HeaderName].ToString().Trim();
        return value.Length == 0 ? null : value;
    }

    /// <summary>A JWT is three base64url segments; server-issued API keys never contain a dot.</summary>
    public static bool BearerIsJwt(HttpRequest request) =>
        ReadBearer(request) is { } token && token.Count(c => c == '.') == 2;
}
