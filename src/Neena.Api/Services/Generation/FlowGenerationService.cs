using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Neena.Api.Contracts.FlowRuns;
using Neena.Api.Contracts.Flows;
using Neena.Api.Contracts.Generation;
using Neena.Api.Errors;
using Neena.Domain.FlowRuns;
using Neena.Engine.LanguageModel;
using Neena.Engine.Retrieval;
using Neena.Persistence;

namespace Neena.Api.Services.Generation;

/// <summary>
/// Flow generation and execution (§6): a request's most similar task definitions become the candidates; the language
/// model plans from them when one is configured, else the data-flow planner does; the plan is returned unsaved, or saved
/// and linked to its flow request; and a flow can be run for a request in one step.
/// </summary>
public sealed class FlowGenerationService(
    NeenaDbContext db,
    TaskDefinitionIndex index,
    LanguageModelClient model,
    ModelPlanner modelPlanner,
    FlowService flows,
    FlowRunService flowRuns,
    IOptions<PlannerOptions> options)
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

    /// <summary>Plans for a stored request, creates the flow exactly as <c>POST /flows</c> would, and links it to the request.</summary>
    public async Task<(FlowResponse Flow, GeneratedFlowResponse Plan)> GenerateAndSaveAsync(Guid flowRequestId, CancellationToken cancellationToken)
    {
        var request = await LoadRequestAsync(flowRequestId, cancellationToken);
        var (plan, candidates) = await PlanAsync(request, "query.flow_request_id", cancellationToken);

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var flow = await flows.CreateAsync(plan.Flow, cancellationToken);
        // Locked so that a concurrent update of the request cannot be lost under this one.
        var flowRequest = await db.FlowRequests.FromSql($"SELECT * FROM flow_requests WHERE id = {flowRequestId} FOR UPDATE")
            .FirstOrDefaultAsync(cancellationToken)
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
        // Only tasks the organization can run are candidates: those of integrations that need no credential, or for which
        // it has stored one. A plan whose first step fails with "No credential" helps nobody.
        var credentialed = await db.IntegrationCredentials.AsNoTracking().Select(c => c.IntegrationId).Distinct().ToListAsync(cancellationToken);
        var found = (await index.SearchAsync(request.Instructions, int.MaxValue, cancellationToken))
            .Where(c => c.Definition.Integration is not { } integration || integration.AuthType == "none" || credentialed.Contains(c.Definition.IntegrationId))
            .Take(options.Value.Candidates)
            .ToList();
        var candidates = found.Select(c => new PlanCandidate(
            c.Definition.Id,
            c.Definition.TaskName,
            c.IntegrationName,
            c.Definition.Description,
            c.Definition.Parameters,
            c.Definition.OutputParameters,
            c.Definition.OutputIsList,
            c.Similarity)).ToList();

        if (model.IsEnabled)
        {
            if (candidates.Count == 0)
                throw new RequestValidationException(location, "nothing in the catalogue fits the request: the catalogue has no task definitions");
            return (await modelPlanner.PlanAsync(request, candidates, cancellationToken), candidates);
        }
        var plan = DataFlowPlanner.Plan(request, candidates, options.Value, out var nothingFits)
            ?? throw new RequestValidationException(location, nothingFits!);
        return (plan, candidates);
    }

    private static GeneratedFlowResponse ToResponse(PlannedFlow plan, IReadOnlyList<PlanCandidate> candidates) => new(
        plan.Flow.Name!,
        plan.Flow.TaskOperations!.Select(o => new GeneratedTaskOperation(
            o!.Name!, o.TaskDefinition!.Value, o.Instruction, o.X, o.Y, o.Index!.Value, o.Parameters is null ? null : (JsonObject)o.Parameters.DeepClone(), o.IntegrationCredential)).ToList(),
        (plan.Flow.Dependencies ?? []).Select(d => new GeneratedDependency(d!.SourceTaskOperation!.Value, d.TargetTaskOperation!.Value, d.Instruction)).ToList(),
        plan.Explanation,
        new UsageResponse(plan.Usage.PromptTokens, plan.Usage.CompletionTokens, plan.Usage.TotalTokens),
        plan.Planner,
        plan.Model,
        candidates.Select(c => new CandidateResponse(c.TaskDefinition, c.TaskName, c.Integration, Math.Round(c.Similarity, 4))).ToList());
}
