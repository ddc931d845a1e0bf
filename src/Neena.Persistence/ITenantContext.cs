namespace Neena.Persistence;

/// <summary>
/// Who is acting: the organization whose rows a context may see and the email stamped on writes.
/// The API fills it from the authenticated request; background work sets it explicitly.
/// </summary>
public interface ITenantContext
{
    Guid? OrganizationId { get; }
    string? UserEmail { get; }
}

/// <summary>A tenant context that is set in code (command line, engine, tests).</summary>
public sealed class FixedTenantContext(Guid? organizationId = null, string? userEmail = null) : ITenantContext
{
    public Guid? OrganizationId { get; set; } = organizationId;
    public string? UserEmail { get; set; } = userEmail;
}
