using Neena.Domain.Common;

namespace Neena.Domain.Organizations;

public sealed class Organization : IAudited
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Name { get; set; }

    /// <summary>The identity provider's organization id (Auth0 <c>org_id</c>), when the organization came from one.</summary>
    public string? ExternalId { get; set; }

    public DateTime CreatedDate { get; set; }
    public DateTime ModifiedDate { get; set; }
    public string? CreatedByEmail { get; set; }
    public string? ModifiedByEmail { get; set; }
}
