using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Neena.Agent.LanguageModel;
using Neena.Agent.Retrieval;
using Neena.Domain.FlowRuns;
using Neena.Persistence;

namespace Neena.Agent.Planning;

/// <summary>
/// Plans a flow for a request (§6): the request's most similar task definitions that the organization can run become the
/// candidates; the language model plans from them when one is configured, else the data-flow planner does.
/// </summary>
public sealed class FlowPlanner(
    NeenaDbContext db,
    TaskDefinitionIndex index,
    LanguageModelClient model,
    ModelPlanner modelPlanner,
    IOptions<PlannerOptions> options)
{
    /// <exception cref="NothingFitsException">No candidate serves the request.</exception>
    /// <exception cref="UnrunnablePlanException">Without a model: the plan would leave a required input unfilled.</exception>
    /// <exception cref="InvalidPlanException">The model's flow was invalid twice.</exception>
    /// <exception cref="LanguageModelUnavailableException">The model cannot answer now.</exception>
    /// <exception cref="LanguageModelException">The model endpoint refused the request.</exception>
    public async Task<(PlannedFlow Plan, IReadOnlyList<PlanCandidate> Candidates)> PlanAsync(PlanningRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
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
                throw new NothingFitsException("nothing in the catalogue fits the request: the catalogue has no task definitions");
            return (await modelPlanner.PlanAsync(request, candidates, cancellationToken), candidates);
        }
        // Without a model nothing writes an approval step's message, and a similarity match alone must not put a person in
        // the way of a run (a webhook's "pause, then report" scored Approval high): approval steps are planned by a model
        // or written by hand.
        var approvalSteps = found.Where(c => c.Definition.PythonMethodName == ApprovalSteps.MethodName).Select(c => c.Definition.Id).ToHashSet();
        var plan = DataFlowPlanner.Plan(request, [.. candidates.Where(c => !approvalSteps.Contains(c.TaskDefinition))], options.Value, out var nothingFits)
            ?? throw new NothingFitsException(nothingFits!);
        if (RunnablePlan.UnfilledInputs(plan.Flow, candidates, request.Metadata) is { Count: > 0 } unfilled)
            throw new UnrunnablePlanException(RunnablePlan.Refusal(unfilled));
        return (plan, candidates);
    }
}
