using Neena.Domain.Common;

namespace Neena.Domain.Users;

public sealed class User : ITenantOwned, IAudited
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public required string Email { get; set; }

    /// <summary>Lower-cased <see cref="Email"/>; unique, so one person is one user whatever the casing they sign in with.</summary>
    public string NormalizedEmail { get; set; } = "";

    public string? FullName { get; set; }

    /// <summary>The identity provider's subject (<c>sub</c>); null for users created from the command line.</summary>
    public string? Auth0Id { get; set; }

    public DateTime CreatedDate { get; set; }
    public DateTime ModifiedDate { get; set; }
    public string? CreatedByEmail { get; set; }
    public string? ModifiedByEmail { get; set; }

    public static string Normalize(string email) => email.Trim().ToLowerInvariant();
}
