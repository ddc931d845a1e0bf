using Neena.Persistence;

namespace Neena.Api.Auth;

/// <summary>The tenant of the current request, read from the authenticated principal; no principal, no rows.</summary>
internal sealed class HttpTenantContext(IHttpContextAccessor accessor) : ITenantContext
{
    public Guid? OrganizationId => accessor.HttpContext?.User.GetOrganizationId();
    public string? UserEmail => accessor.HttpContext?.User.GetEmail();
}
