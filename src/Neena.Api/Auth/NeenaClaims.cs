using System.Security.Claims;

namespace Neena.Api.Auth;

/// <summary>Claims every authenticated principal carries after authentication, whatever the credential.</summary>
public static class NeenaClaims
{
    public const string UserId = "neena:user_id";
    public const string OrganizationId = "neena:organization_id";
    public const string Email = "email";
    public const string Subject = "sub";
    public const string Permission = "neena:permission";
    public const string Credential = "neena:credential";
    public const string ApiKeyId = "neena:api_key_id";

    /// <summary>Present (value <c>true</c>) only when the JWT said the email address is verified.</summary>
    public const string EmailVerified = "neena:email_verified";

    public static Guid? GetUserId(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(UserId), out var id) ? id : null;

    public static Guid? GetOrganizationId(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(OrganizationId), out var id) ? id : null;

    public static string? GetEmail(this ClaimsPrincipal principal) => principal.FindFirstValue(Email);

    public static string? GetSubject(this ClaimsPrincipal principal) => principal.FindFirstValue(Subject);

    public static bool HasVerifiedEmail(this ClaimsPrincipal principal) => principal.HasClaim(EmailVerified, "true");

    public static Guid? GetApiKeyId(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(ApiKeyId), out var id) ? id : null;

    public static IReadOnlyList<string> GetPermissions(this ClaimsPrincipal principal) =>
        principal.FindAll(Permission).Select(c => c.Value).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
}
