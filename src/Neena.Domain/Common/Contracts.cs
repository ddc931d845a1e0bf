namespace Neena.Domain.Common;

/// <summary>Rows that belong to one organization; the persistence layer filters them by the current tenant.</summary>
public interface ITenantOwned
{
    Guid OrganizationId { get; set; }
}

/// <summary>Rows whose audit fields the persistence layer stamps on every write.</summary>
public interface IAudited
{
    DateTime CreatedDate { get; set; }
    DateTime ModifiedDate { get; set; }
    string? CreatedByEmail { get; set; }
    string? ModifiedByEmail { get; set; }
}

/// <summary>Rows that are never physically removed by the API: a delete stamps <see cref="DeletedAt"/>.</summary>
public interface ISoftDeletable
{
    DateTime? DeletedAt { get; set; }
}
