using Neena.Domain.Catalogue;
using Neena.Domain.Common;

namespace Neena.Domain.Credentials;

/// <summary>
/// An organization's secret for one integration (a Trello key and token, a Slack bot token…). The values are stored only
/// encrypted, in <see cref="ProtectedFields"/>; the names of the fields are kept in clear so answers can list them.
/// </summary>
public sealed class IntegrationCredential : ITenantOwned, IAudited, ISoftDeletable, IHasId
{
    public const int MaxNameLength = 100;
    public const int MaxValueLength = 4096;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public Guid IntegrationId { get; set; }
    public Integration? Integration { get; set; }
    public required string Name { get; set; }

    /// <summary>The names of the stored fields, in the integration's declared order.</summary>
    public List<string> FieldNames { get; set; } = [];

    /// <summary>The fields' values, encrypted with Data Protection; null once the credential is deleted.</summary>
    public string? ProtectedFields { get; set; }

    /// <summary>When a task or a check last used the credential.</summary>
    public DateTime? LastUsedAt { get; set; }

    public DateTime CreatedDate { get; set; }
    public DateTime ModifiedDate { get; set; }
    public string? CreatedByEmail { get; set; }
    public string? ModifiedByEmail { get; set; }
    public DateTime? DeletedAt { get; set; }

    /// <summary>Deletes the credential and destroys its secret material: only the names remain, for the audit trail.</summary>
    public void Delete(DateTime now)
    {
        DeletedAt = now;
        ProtectedFields = null;
    }
}
