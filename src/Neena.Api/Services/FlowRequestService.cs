using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Neena.Api.Commands;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.FlowRequests;
using Neena.Api.Errors;
using Neena.Domain.FlowRequests;
using Neena.Persistence;

namespace Neena.Api.Services;

public sealed class FlowRequestService(NeenaDbContext db, TimeProvider time, CreateFlowRequestCommand create)
{
    public const string FlowNotFound = CreateFlowRequestCommand.FlowNotFound;
    public const string ForeignOrganization = "You can only use your own organization.";

    public async Task<FlowRequestResponse> CreateAsync(CreateFlowRequestRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckOrganization(request.Organization);
        var input = new NewFlowRequest(request.RequestInstructions!, request.RequestMetadata as JsonArray ?? [], request.RequestName, request.Flow);
        return FlowRequestResponse.From(await create.ExecuteAsync(input, cancellationToken));
    }

    public async Task<FlowRequestResponse> UpdateAsync(UpdateFlowRequestRequest request, CancellationToken cancellationToken)
    {
        var flowRequest = await db.FlowRequests.FirstOrDefaultAsync(r => r.Id == request.Id, cancellationToken)
            ?? throw ApiException.NotFound("Flow request not found");
        if (request.Organization.IsSet)
            CheckOrganization(request.Organization.Value);
        if (request.Flow is { IsSet: true, Value: { } flowId })
            await create.CheckFlowAsync(flowId, cancellationToken);

        flowRequest.RequestInstructions = request.RequestInstructions.Or(flowRequest.RequestInstructions)!;
        if (request.RequestMetadata.IsSet)
            flowRequest.RequestMetadata = ToMetadata(request.RequestMetadata.Value);
        flowRequest.RequestName = request.RequestName.Or(flowRequest.RequestName);
        flowRequest.FlowId = request.Flow.Or(flowRequest.FlowId);
        await db.SaveChangesAsync(cancellationToken);
        return FlowRequestResponse.From(flowRequest);
    }

    public async Task<FlowRequestResponse> GetAsync(Guid id, CancellationToken cancellationToken) =>
        FlowRequestResponse.From(await db.FlowRequests.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken)
            ?? throw ApiException.NotFound("Flow request not found"));

    public async Task<IReadOnlyList<FlowRequestResponse>> ListAsync(PageQuery page, CancellationToken cancellationToken) =>
        (await db.FlowRequests.AsNoTracking().NewestFirst(page).ToListAsync(cancellationToken)).Select(FlowRequestResponse.From).ToList();

    public async Task<FlowRequestResponse> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        var flowRequest = await db.FlowRequests.FirstOrDefaultAsync(r => r.Id == id, cancellationToken)
            ?? throw ApiException.NotFound("Flow request not found");
        flowRequest.DeletedAt = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        return FlowRequestResponse.From(flowRequest);
    }

    private Guid CheckOrganization(Guid? requested)
    {
        var own = db.Tenant.OrganizationId ?? throw ApiException.Forbidden(ForeignOrganization);
        if (requested is { } other && other != own)
            throw ApiException.Forbidden(ForeignOrganization);
        return own;
    }

    private static JsonArray ToMetadata(JsonNode? metadata) =>
        metadata is JsonArray array ? (JsonArray)array.DeepClone() : [];
}
