using Microsoft.AspNetCore.Mvc;
using Neena.Api.Auth;
using Neena.Api.Contracts.FlowRuns;
using Neena.Api.Contracts.Generation;
using Neena.Api.Errors;
using Neena.Api.Idempotency;
using Neena.Api.Services.Generation;
using Neena.Domain.Common;

namespace Neena.Api.Controllers;

/// <summary>The agent's endpoints: a request becomes a flow (planned by the language model, or by data flow without one), and a flow runs for a request.</summary>
[ApiController]
[Route("flows")]
[Produces("application/json")]
[LanguageModelErrors]
public sealed class FlowGenerationController(FlowGenerationService generation) : ControllerBase
{
    /// <summary>
    /// Plans a flow for a flow request (<c>flow_request_id</c>), saves it and links it to the request, as the original did (its
    /// editor edits and executes the answer by its ids), and returns the saved flow (ids, <c>sorted_index</c>,
    /// <c>created_by_human: false</c>) with <c>explanation</c> and <c>usage</c>; saving needs the <c>write</c> permission.
    /// With <c>dry_run=true</c>, or for a bare request text (<c>request</c>), nothing is saved: the answer is the body of
    /// <c>POST /flows</c> (posting it as-is creates it) with the stored-only fields null, and <c>read</c> suffices.
    /// 422 when nothing in the catalogue fits the request; 502 when the model's flow is invalid twice; 503 (with
    /// <c>Retry-After</c>) when the model is unavailable.
    /// </summary>
    [HttpGet("generate")]
    [AcceptsIdempotencyKey]
    [ProducesResponseType<GeneratedFlowResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status403Forbidden, Description = "Saving (flow_request_id without dry_run=true) with a credential that lacks the \"write\" permission.")]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status502BadGateway)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status503ServiceUnavailable)]
    public Task<GeneratedFlowResponse> Generate([FromQuery] GenerateQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!query.SavesFlow())
            return generation.GenerateAsync(query, cancellationToken);
        // A GET that writes: the policy let it in with "read" (a dry run needs no more), so the write is checked here.
        if (!User.HasClaim(NeenaClaims.Permission, Permissions.Write))
            throw ApiException.Forbidden($"Missing \"{Permissions.Write}\" permission");
        return generation.GenerateSavedAsync(query.FlowRequestId!.Value, cancellationToken);
    }

    /// <summary>
    /// Plans a flow for a flow request, saves it as <c>POST /flows</c> would (<c>created_by_human: false</c>), sets the
    /// request's <c>flow</c> to it, and returns the saved flow with the plan's <c>explanation</c>, <c>usage</c> and candidates.
    /// </summary>
    [HttpPost("generate")]
    [ProducesResponseType<GeneratedFlowResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status502BadGateway)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status503ServiceUnavailable)]
    public Task<GeneratedFlowResponse> GenerateAndSave([FromQuery] GenerateAndSaveQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return generation.GenerateSavedAsync(query.FlowRequestId!.Value, cancellationToken);
    }

    /// <summary>
    /// Creates a run of the flow for the flow request, already approved: the engine starts it at once. With <c>id</c>
    /// alone (the original frontend's call) the flow runs for its newest flow request; 422 when it has none.
    /// </summary>
    [HttpPost("execute")]
    [ProducesResponseType<FlowRunResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task<FlowRunResponse> Execute([FromQuery] ExecuteQuery query, CancellationToken cancellationToken) =>
        query.Id is { } id
            ? generation.ExecuteNewestRequestAsync(id, cancellationToken)
            : generation.ExecuteAsync(query.FlowId!.Value, query.FlowRequestId!.Value, cancellationToken);

    /// <summary>
    /// The original's one-step call: plans a flow for the flow request, saves it and links it to the request (as
    /// <c>POST /flows/generate</c>), then creates its run already approved (as <c>POST /flows/execute</c>) and returns
    /// the run. It changes state, so it needs the <c>write</c> permission although it is a GET.
    /// </summary>
    [HttpGet("generate_flow_and_execute")]
    [RequiresWrite]
    [AcceptsIdempotencyKey]
    [ProducesResponseType<FlowRunResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status502BadGateway)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status503ServiceUnavailable)]
    public Task<FlowRunResponse> GenerateAndExecute([FromQuery] GenerateAndExecuteQuery query, CancellationToken cancellationToken) =>
        generation.GenerateAndExecuteAsync(query.FlowRequestId!.Value, cancellationToken);
}
