using Neena.Persistence;

namespace Neena.Api.Auth;

/// <summary>
/// The tenant of whatever runs the query: the authenticated request's (no principal, no rows), or, for background work
/// (a webhook's trigger run), the organization it acts for, set with <see cref="ActFor"/> for the rest of that async
/// flow. One instance serves the process, as pooled contexts need: it holds no state of its own, only reads the ambient
/// request or the ambient act, so no tenant survives a context's return to the pool.
/// </summary>
internal sealed class HttpTenantContext(IHttpContextAccessor accessor) : ITenantContext
{
    private static readonly AsyncLocal<FixedTenantContext?> Acting = new();

    public Guid? OrganizationId => Acting.Value is { } acting ? acting.OrganizationId : accessor.HttpContext?.User.GetOrganizationId();

    public string? UserEmail => Acting.Value is { } acting ? acting.UserEmail : accessor.HttpContext?.User.GetEmail();

    /// <summary>
    /// Makes the calling async flow act for <paramref name="organizationId"/>, writing as <paramref name="email"/>, until the
    /// returned scope is disposed (or the calling async method returns); never inside a request.
    /// </summary>
    public IDisposable ActFor(Guid organizationId, string? email)
    {
        if (accessor.HttpContext is not null)
            throw new InvalidOperationException("A request's tenant comes from its credentials; only background work acts for an organization.");
        var previous = Acting.Value;
        Acting.Value = new FixedTenantContext(organizationId, email);
        return new Restore(previous);
    }

    private sealed class Restore(FixedTenantContext? previous) : IDisposable
    {
        public void Dispose() => Acting.Value = previous;
    }
}
