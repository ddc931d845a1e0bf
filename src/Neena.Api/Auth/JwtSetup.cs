using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;
using Neena.Api.Errors;
using Neena.Api.Hosting;
using Neena.Domain.Common;
using Neena.Persistence;

namespace Neena.Api.Auth;

/// <summary>
/// JWT bearer validation as for an Auth0 access token: RS256 from the authority's JWKS (<c>Auth:Jwt:Authority</c>,
/// <c>Auth:Jwt:Audience</c>), or for development and tests a local HS256 key (<c>Auth:Jwt:SigningKey</c>, base64,
/// with <c>Auth:Jwt:Issuer</c> and <c>Auth:Jwt:Audience</c>).
/// </summary>
internal static class JwtSetup
{
    /// <summary>
    /// Refuses a symmetric signing key in Production: whoever holds it (every developer, every test configuration) can
    /// mint a token for any user, so a development convenience must never become a production trust root.
    /// </summary>
    /// <exception cref="StartupException">Production with <c>Auth:Jwt:SigningKey</c> set.</exception>
    public static void EnsureAllowed(IConfiguration configuration, IHostEnvironment environment)
    {
        if (environment.IsProduction() && !string.IsNullOrWhiteSpace(configuration["Auth:Jwt:SigningKey"]))
        {
            throw new StartupException(
                "Auth:Jwt:SigningKey is set, but a symmetric JWT signing key is refused in the Production environment: anyone who holds it " +
                "can sign a token for any user. Remove Auth__Jwt__SigningKey and set Auth__Jwt__Authority and Auth__Jwt__Audience to " +
                "validate RS256 tokens from your identity provider, or use API keys only.");
        }
    }

    public static void Configure(JwtBearerOptions options, IConfiguration configuration)
    {
        var section = configuration.GetSection("Auth:Jwt");
        var authority = section["Authority"];
        var audience = section["Audience"];
        var issuer = section["Issuer"];
        var signingKey = section["SigningKey"];

        options.MapInboundClaims = false;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidAudience = audience,
            ClockSkew = TimeSpan.FromSeconds(30),
            NameClaimType = NeenaClaims.Email,
        };
        if (!string.IsNullOrWhiteSpace(authority))
        {
            options.Authority = authority;
            options.TokenValidationParameters.ValidIssuer = issuer ?? authority.TrimEnd('/') + "/";
            options.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.RsaSha256];
        }
        else if (!string.IsNullOrWhiteSpace(signingKey))
        {
            options.TokenValidationParameters.ValidIssuer = issuer;
            options.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(Convert.FromBase64String(signingKey));
            options.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
        }
        else
        {
            // No issuer configured: every JWT is refused (signature validation has no keys), API keys still work.
            options.TokenValidationParameters.ValidIssuer = issuer;
        }

        options.Events = new JwtBearerEvents
        {
            OnTokenValidated = OnTokenValidatedAsync,
            OnChallenge = OnChallengeAsync,
        };
    }

    private static async Task OnTokenValidatedAsync(TokenValidatedContext context)
    {
        var token = context.Principal!;
        var subject = token.FindFirstValue("sub");
        if (string.IsNullOrEmpty(subject))
        {
            context.Fail("Token has no subject");
            return;
        }
        // Auth0 puts custom claims under a namespace (https://example.com/email); the original accepted either form.
        var email = token.FindFirstValue("email")
            ?? token.Claims.FirstOrDefault(c => c.Type.EndsWith("/email", StringComparison.Ordinal))?.Value;
        var payload = TokenPayload.Read(context.SecurityToken);
        var permissions = payload.Permissions ?? Permissions.All;

        var claims = new List<Claim> { new(NeenaClaims.Subject, subject), new(NeenaClaims.Credential, "jwt") };
        if (email is not null)
            claims.Add(new Claim(NeenaClaims.Email, email));
        if (payload.EmailVerified)
            claims.Add(new Claim(NeenaClaims.EmailVerified, "true"));
        if (token.FindFirstValue("org_id") is { Length: > 0 } orgId)
            claims.Add(new Claim("org_id", orgId));
        claims.AddRange(permissions.Where(Permissions.IsKnown).Select(p => new Claim(NeenaClaims.Permission, p)));

        var user = await FindUserAsync(context.HttpContext, subject);
        if (user is not null)
        {
            claims.Add(new Claim(NeenaClaims.UserId, user.UserId.ToString()));
            claims.Add(new Claim(NeenaClaims.OrganizationId, user.OrganizationId.ToString()));
            if (email is null)
                claims.Add(new Claim(NeenaClaims.Email, user.Email));
        }
        context.Principal = new ClaimsPrincipal(new ClaimsIdentity(claims, JwtBearerDefaults.AuthenticationScheme, NeenaClaims.Email, null));
    }

    /// <summary>The registered user of a token's subject, from the <see cref="PrincipalCache"/> when it holds it; an unregistered subject is looked up each time.</summary>
    private static async Task<CachedJwtUser?> FindUserAsync(HttpContext http, string subject)
    {
        var cache = http.RequestServices.GetRequiredService<PrincipalCache>();
        if (cache.TryGetJwtUser(subject, out var entry))
            return entry.Value;
        var epoch = cache.Epoch;
        var db = http.RequestServices.GetRequiredService<NeenaDbContext>();
        var user = await db.Users.IgnoreQueryFilters().AsNoTracking()
            .Where(u => u.Auth0Id == subject)
            .Select(u => new CachedJwtUser(u.Id, u.OrganizationId, u.Email))
            .FirstOrDefaultAsync(http.RequestAborted);
        if (user is not null)
            cache.AddJwtUser(subject, user, epoch);
        return user;
    }

    private static async Task OnChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await ErrorWriter.WriteDetailAsync(context.HttpContext, StatusCodes.Status401Unauthorized, Reason(context.AuthenticateFailure));
    }

    private static string Reason(Exception? failure) => failure switch
    {
        SecurityTokenExpiredException => "Token has expired",
        SecurityTokenNotYetValidException => "Token is not yet valid",
        SecurityTokenInvalidAudienceException => "Invalid audience",
        SecurityTokenInvalidIssuerException => "Invalid issuer",
        SecurityTokenInvalidAlgorithmException => "Invalid signature algorithm",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "Invalid signature",
        SecurityTokenNoExpirationException => "Token has no expiration",
        SecurityTokenMalformedException or ArgumentException => "Malformed token",
        null => "Invalid token",
        _ when failure.Message == "Token has no subject" => "Token has no subject",
        _ => "Invalid token",
    };
}
