namespace Neena.Persistence;

/// <summary>
/// The tenant of background work (a webhook's trigger run, a worker): the organization an async flow acts for, set with
/// <see cref="ActFor"/> until the returned scope is disposed (or the calling async method returns); nobody otherwise. One
/// instance serves the process, as pooled contexts need: the tenant lives in the async flow, never in the instance, so it
/// neither leaks into work running at the same time nor survives a context's return to the pool.
/// </summary>
/// <param name="refusal">
/// Why the calling flow may not act for an organization, if it may not: a host serving requests says so inside one, whose
/// tenant comes from its credentials.
/// </param>
public sealed class BackgroundTenantContext(Func<string?>? refusal = null) : ITenantContext
{
    private readonly AsyncLocal<FixedTenantContext?> _acting = new();

    /// <summary>Whether the calling async flow acts for an organization.</summary>
    public bool IsActing => _acting.Value is not null;

    public Guid? OrganizationId => _acting.Value?.OrganizationId;

    public string? UserEmail => _acting.Value?.UserEmail;

    /// <summary>Makes the calling async flow act for <paramref name="organizationId"/>, writing as <paramref name="email"/>.</summary>
    /// <exception cref="InvalidOperationException">The host refuses it here (inside a request).</exception>
    public IDisposable ActFor(Guid organizationId, string? email)
    {
        if (refusal?.Invoke() is { } reason)
            throw new InvalidOperationException(reason);
        var previous = _acting.Value;
        _acting.Value = new FixedTenantContext(organizationId, email);
        return new Restore(this, previous);
    }

    private sealed class Restore(BackgroundTenantContext owner, FixedTenantContext? previous) : IDisposable
    {
        public void Dispose() => owner._acting.Value = previous;
    }
}
