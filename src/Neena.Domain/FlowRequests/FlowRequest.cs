using System.Text.Json.Nodes;
using Neena.Domain.Common;

namespace Neena.Domain.FlowRequests;

/// <summary>A natural-language request for work, optionally tied to the flow that should do it.</summary>
public sealed class FlowRequest : ITenantOwned, IAudited, ISoftDeletable, IHasId
{
    public const int MinInstructionsLength = 8;
    public const int MaxInstructionsLength = 512;
    public const int MaxNameLength = 64;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid OrganizationId { get; set; }
    public required string RequestInstructions { get; set; }
    public JsonArray RequestMetadata { get; set; } = [];
    public string? RequestName { get; set; }
    public Guid? FlowId { get; set; }

    public DateTime CreatedDate { get; set; }
    public DateTime ModifiedDate { get; set; }
    public string? CreatedByEmail { get; set; }
    public string? ModifiedByEmail { get; set; }
    public DateTime? DeletedAt { get; set; }
}
