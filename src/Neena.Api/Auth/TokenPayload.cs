using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Neena.Api.Auth;

/// <summary>
/// The claims whose meaning depends on their exact JSON form, read from the validated token's raw payload. The
/// handler's claims cannot be trusted for these: it emits no claim at all for <c>"permissions": []</c>, which would
/// make "no permission" look like "claim absent" (= read and write).
/// </summary>
internal sealed record TokenPayload(IReadOnlyList<string>? Permissions, bool EmailVerified)
{
    public const string PermissionsClaim = "permissions";
    public const string EmailVerifiedClaim = "email_verified";

    private static readonly TokenPayload Empty = new([], false);

    /// <param name="token">The token the JWT handler has already validated (signature, lifetime, issuer, audience).</param>
    public static TokenPayload Read(SecurityToken token)
    {
        // Fail closed: a token whose payload cannot be read here carries no permission.
        if (token is not JsonWebToken jwt)
            return Empty;
        try
        {
            using var document = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
            return document.RootElement.ValueKind == JsonValueKind.Object ? From(document.RootElement) : Empty;
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
        {
            return Empty;
        }
    }

    private static TokenPayload From(JsonElement payload)
    {
        // Absent → null (the caller's default); present → exactly its string values, whatever their shape:
        // ["read"], "read" (a single value, as some issuers send), [] or null (no permission).
        IReadOnlyList<string>? permissions = null;
        if (payload.TryGetProperty(PermissionsClaim, out var claim))
        {
            permissions = claim.ValueKind switch
            {
                JsonValueKind.Array => [.. claim.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)],
                JsonValueKind.String => [claim.GetString()!],
                _ => [],
            };
        }
        return new TokenPayload(permissions, IsEmailVerified(payload));
    }

    /// <summary>
    /// <c>email_verified</c>, or when absent the namespaced form Auth0 puts custom claims into access tokens under
    /// (as for the email); only a literal true (or "true") counts.
    /// </summary>
    private static bool IsEmailVerified(JsonElement payload)
    {
        if (!payload.TryGetProperty(EmailVerifiedClaim, out var value))
        {
            value = payload.EnumerateObject()
                .FirstOrDefault(p => p.Name.EndsWith("/" + EmailVerifiedClaim, StringComparison.Ordinal)).Value;
        }
        return value.ValueKind == JsonValueKind.True
            || (value.ValueKind == JsonValueKind.String && string.Equals(value.GetString(), "true", StringComparison.OrdinalIgnoreCase));
    }
}
