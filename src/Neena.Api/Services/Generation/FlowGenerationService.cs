using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Neena.Agent.Planning;
using Neena.Api.Contracts.FlowRuns;
using Neena.Api.Contracts.Flows;
using Neena.Api.Contracts.Generation;
using Neena.Api.Errors;
using Neena.Domain.FlowRuns;
using Neena.Persistence;
using Neena.Persistence.FlowRequests;

namespace Neena.Api.Services.Generation;

/// <summary>
/// Flow generation and execution (§6) over HTTP: the agent's <see cref="FlowPlanner"/> plans; the plan is returned
/// unsaved, or saved and linked to its flow request; and a flow can be run for a request in one step.
/// </summary>
public sealed class FlowGenerationService(
    NeenaDbContext db,
    FlowPlanner planner,
    FlowService flows,
    FlowRunService flowRuns)
{
    public async Task<GeneratedFlowResponse> GenerateAsync(GenerateQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var (request, location) = query.FlowRequestId is { } id
            ? (await LoadRequestAsync(id, cancellationToken), "query.flow_request_id")
            : (new PlanningRequest(query.Request!.Trim(), null, []), "query.request");
        var (plan, candidates) = await PlanAsync(request, location, cancellationToken);
        return ToResponse(plan, candidates);
    }

    /// <summary>
    /// Plans for a stored request, creates the flow as <c>POST /flows</c> would (marked generated), links it to the request,
    /// and returns the stored flow with the plan's explanation, usage and candidates.
    /// </summary>
    public async Task<GeneratedFlowResponse> GenerateSavedAsync(Guid flowRequestId, CancellationToken cancellationToken)
    {
        var (flow, plan) = await GenerateAndSaveAsync(flowRequestId, cancellationToken);
        return GeneratedFlowResponse.Saved(flow, plan);
    }

    /// <summary>Plans for a stored request, creates the flow as <c>POST /flows</c> would (marked generated), and links it to the request.</summary>
    public async Task<(FlowResponse Flow, GeneratedFlowResponse Plan)> GenerateAndSaveAsync(Guid flowRequestId, CancellationToken cancellationToken)
    {
        var request = await LoadRequestAsync(flowRequestId, cancellationToken);
        var (plan, candidates) = await PlanAsync(request, "query.flow_request_id", cancellationToken);

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var flow = await flows.CreateAsync(plan.Flow, cancellationToken);
        // Locked so that a concurrent update of the request cannot be lost under this one.
        var flowRequest = await db.LockForUpdateAsync(flowRequestId, cancellationToken)
            ?? throw ApiException.NotFound("Flow request not found");
        flowRequest.FlowId = flow.Id;
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (flow, ToResponse(plan, candidates));
    }

    /// <summary>
    /// Plans for a request that is not stored (a webhook's, whose flow request is created together with its flow and run):
    /// the same candidates and planners as <c>GET /flows/generate</c>. Refusals are those of generation: 422
    /// (<see cref="RequestValidationException"/>) when nothing fits, the model's errors otherwise.
    /// </summary>
    public async Task<PlannedFlow> PlanAsync(PlanningRequest request, CancellationToken cancellationToken) =>
        (await PlanAsync(request, "body.request_instructions", cancellationToken)).Plan;

    /// <summary>A run of the flow for the request, created already approved (so the engine starts it at once).</summary>
    public async Task<FlowRunResponse> ExecuteAsync(Guid flowId, Guid flowRequestId, CancellationToken cancellationToken)
    {
        // Tenant and soft-delete filters: another organization's or a deleted flow or request is not found.
        if (!await db.Flows.AnyAsync(f => f.Id == flowId, cancellationToken))
            throw ApiException.NotFound("Flow not found");
        if (!await db.FlowRequests.AnyAsync(r => r.Id == flowRequestId, cancellationToken))
            throw ApiException.NotFound("Flow request not found");
        return await flowRuns.CreateAsync(
            new CreateFlowRunRequest { Flow = flowId, FlowRequest = flowRequestId, ApprovalStatus = ApprovalStatus.Approved },
            cancellationToken);
    }

    /// <summary>
    /// The original's <c>POST /flows/execute?id=</c>: a run of the flow for its newest flow request (the request whose
    /// <c>flow</c> it is), approved. 404 for an unknown flow; 422 at <c>query.id</c> when no request names the flow.
    /// </summary>
    public async Task<FlowRunResponse> ExecuteNewestRequestAsync(Guid flowId, CancellationToken cancellationToken)
    {
        if (!await db.Flows.AnyAsync(f => f.Id == flowId, cancellationToken))
            throw ApiException.NotFound("Flow not found");
        var newest = await db.FlowRequests.AsNoTracking()
            .Where(r => r.FlowId == flowId)
            .OrderByDescending(r => r.CreatedDate).ThenByDescending(r => r.Id)
            .Select(r => (Guid?)r.Id)
            .FirstOrDefaultAsync(cancellationToken)
            ?? throw new RequestValidationException("query.id",
                "the flow has no flow request: create one with this flow, or give flow_id and flow_request_id");
        return await ExecuteAsync(flowId, newest, cancellationToken);
    }

    /// <summary>
    /// The original's <c>GET /flows/generate_flow_and_execute</c>: plans for the stored request, saves the flow and links
    /// it (as <c>POST /flows/generate</c>), then runs it approved (as <c>POST /flows/execute</c>): the caller asked to execute.
    /// </summary>
    public async Task<FlowRunResponse> GenerateAndExecuteAsync(Guid flowRequestId, CancellationToken cancellationToken)
    {
        var (flow, _) = await GenerateAndSaveAsync(flowRequestId, cancellationToken);
        return await ExecuteAsync(flow.Id, flowRequestId, cancellationToken);
    }

    private async Task<PlanningRequest> LoadRequestAsync(Guid id, CancellationToken cancellationToken)
    {
        var stored = await db.FlowRequests.AsNoTracking()
            .Where(r => r.Id == id)
            .Select(r => new { r.RequestInstructions, r.RequestName, r.RequestMetadata })
            .FirstOrDefaultAsync(cancellationToken)
            ?? throw ApiException.NotFound("Flow request not found");
        return new PlanningRequest(stored.RequestInstructions, stored.RequestName, stored.RequestMetadata);
    }

    private async Task<(PlannedFlow Plan, IReadOnlyList<PlanCandidate> Candidates)> PlanAsync(PlanningRequest request, string location, CancellationToken cancellationToken)
    {
        try
        {
            return await planner.PlanAsync(request, cancellationToken);
        }
        catch (NothingFitsException e)
        {
            throw new RequestValidationException(location, e.Message);
        }
    }

    private static GeneratedFlowResponse ToResponse(PlannedFlow plan, IReadOnlyList<PlanCandidate> candidates) => new(
        Id: null,
        plan.Flow.Name,
        plan.Flow.TaskOperations.Select(o => new GeneratedTaskOperation(
            Id: null, Flow: null, o.Name, o.TaskDefinition, o.Instruction, o.X, o.Y, o.Index, SortedIndex: null,
            o.Parameters is null ? null : (JsonObject)o.Parameters.DeepClone(), IntegrationCredential: null,
            CreatedDate: null, ModifiedDate: null, CreatedByEmail: null, ModifiedByEmail: null,
            o.Join, o.ContinueOnFailure, o.ForEach)).ToList(),
        plan.Flow.Dependencies.Select(d => new GeneratedDependency(
            Id: null, Flow: null, d.SourceTaskOperation, d.TargetTaskOperation, d.Instruction, d.Condition is null ? null : (JsonObject)d.Condition.DeepClone())).ToList(),
        Organization: null, CreatedByHuman: null, CreatedDate: null, ModifiedDate: null, CreatedByEmail: null, ModifiedByEmail: null, DeletedAt: null,
        plan.Explanation,
        new UsageResponse(plan.Usage.PromptTokens, plan.Usage.CompletionTokens, plan.Usage.TotalTokens),
        plan.Planner,
        plan.Model,
        candidates.Select(c => new CandidateResponse(c.TaskDefinition, c.TaskName, c.Integration, Math.Round(c.Similarity, 4))).ToList());
}
