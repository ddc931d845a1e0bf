using Neena.Persistence;

namespace Neena.Api.Auth;

/// <summary>
/// The tenant of the current scope: the authenticated request's (no principal, no rows), or, for background work in a
/// scope of its own (a webhook's trigger run), the organization it acts for, set with <see cref="ActFor"/>. The services
/// of that scope then apply the same tenant filters and audit stamps as they do for that organization's requests.
/// </summary>
internal sealed class HttpTenantContext(IHttpContextAccessor accessor) : ITenantContext
{
    private FixedTenantContext? _acting;

    public Guid? OrganizationId => _acting is { } acting ? acting.OrganizationId : accessor.HttpContext?.User.GetOrganizationId();

    public string? UserEmail => _acting is { } acting ? acting.UserEmail : accessor.HttpContext?.User.GetEmail();

    /// <summary>Makes the scope act for <paramref name="organizationId"/>, writing as <paramref name="email"/>; never in a request's scope.</summary>
    public void ActFor(Guid organizationId, string? email)
    {
        if (accessor.HttpContext is not null)
            throw new InvalidOperationException("A request's tenant comes from its credentials; only background scopes act for an organization.");
        _acting = new FixedTenantContext(organizationId, email);
    }
}
