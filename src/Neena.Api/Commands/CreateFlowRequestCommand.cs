using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Neena.Domain.Common;
using Neena.Domain.FlowRequests;
using Neena.Persistence;

namespace Neena.Api.Commands;

/// <summary>Creates a flow request for the acting organization (<c>POST /flow_requests</c>, a webhook's).</summary>
public sealed class CreateFlowRequestCommand(NeenaDbContext db)
{
    public const string FlowNotFound = "flow not found";

    /// <exception cref="DomainValidationException">The flow it names is not one of the organization's live flows (<c>flow</c>).</exception>
    public async Task<FlowRequest> ExecuteAsync(NewFlowRequest input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var organizationId = db.Tenant.OrganizationId
            ?? throw new InvalidOperationException("A flow request is created for the acting organization; none is acting.");
        await CheckFlowAsync(input.Flow, cancellationToken);
        var flowRequest = new FlowRequest
        {
            OrganizationId = organizationId,
            RequestInstructions = input.Instructions,
            RequestMetadata = (JsonArray)input.Metadata.DeepClone(),
            RequestName = input.Name,
            FlowId = input.Flow,
        };
        db.FlowRequests.Add(flowRequest);
        await db.SaveChangesAsync(cancellationToken);
        return flowRequest;
    }

    /// <exception cref="DomainValidationException">The flow is not one of the organization's live flows (<c>flow</c>).</exception>
    public async Task CheckFlowAsync(Guid? flowId, CancellationToken cancellationToken)
    {
        // The tenant filter makes another organization's flow indistinguishable from a missing one.
        if (flowId is { } id && !await db.Flows.AnyAsync(f => f.Id == id, cancellationToken))
            throw new DomainValidationException("flow", FlowNotFound);
    }
}
