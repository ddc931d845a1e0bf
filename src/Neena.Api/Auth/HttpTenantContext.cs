using Neena.Persistence;

namespace Neena.Api.Auth;

/// <summary>
/// The tenant of whatever runs the query: the authenticated request's (no principal, no rows), or, outside requests, the
/// organization background work acts for (<see cref="BackgroundTenantContext"/>). One instance serves the process, as
/// pooled contexts need: it holds no state of its own, only reads the ambient request or the ambient act, so no tenant
/// survives a context's return to the pool.
/// </summary>
internal sealed class HttpTenantContext(IHttpContextAccessor accessor, BackgroundTenantContext background) : ITenantContext
{
    /// <summary>Why background work may not act for an organization in the calling flow: inside a request, it may not.</summary>
    public static string? Refusal(IHttpContextAccessor accessor) =>
        accessor.HttpContext is null ? null : "A request's tenant comes from its credentials; only background work acts for an organization.";

    public Guid? OrganizationId => background.IsActing ? background.OrganizationId : accessor.HttpContext?.User.GetOrganizationId();

    public string? UserEmail => background.IsActing ? background.UserEmail : accessor.HttpContext?.User.GetEmail();
}
