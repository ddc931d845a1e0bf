using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Neena.Api.Auth;
using Neena.Api.Contracts.FlowRuns;
using Neena.Api.Contracts.Flows;
using Neena.Api.Contracts.Generation;
using Neena.Api.Errors;
using Neena.Api.Services.Generation;

namespace Neena.Api.Controllers;

/// <summary>The agent's endpoints: a request becomes a flow (planned by the language model, or by data flow without one), and a flow runs for a request.</summary>
[ApiController]
[Route("flows")]
[Produces("application/json")]
[LanguageModelErrors]
public sealed class FlowGenerationController(FlowGenerationService generation, IOptions<JsonOptions> json) : ControllerBase
{
    /// <summary>
    /// Plans a flow for a flow request (<c>flow_request_id</c>) or a bare request text (<c>request</c>) and returns it
    /// unsaved, in the body shape of <c>POST /flows</c> (posting it as-is creates it), with <c>explanation</c> and <c>usage</c>.
    /// 422 when nothing in the catalogue fits the request; 502 when the model's flow is invalid twice; 503 (with
    /// <c>Retry-After</c>) when the model is unavailable.
    /// </summary>
    [HttpGet("generate")]
    [ProducesResponseType<GeneratedFlowResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status502BadGateway)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status503ServiceUnavailable)]
    public Task<GeneratedFlowResponse> Generate([FromQuery] GenerateQuery query, CancellationToken cancellationToken) =>
        generation.GenerateAsync(query, cancellationToken);

    /// <summary>
    /// Plans a flow for a flow request, saves it as <c>POST /flows</c> would, sets the request's <c>flow</c> to it, and
    /// returns the saved flow (with the plan's <c>explanation</c> and <c>usage</c>).
    /// </summary>
    [HttpPost("generate")]
    [ProducesResponseType<FlowResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status502BadGateway)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status503ServiceUnavailable)]
    public async Task<JsonObject> GenerateAndSave([FromQuery] GenerateAndSaveQuery query, CancellationToken cancellationToken)
    {
        var (flow, plan) = await generation.GenerateAndSaveAsync(query.FlowRequestId!.Value, cancellationToken);
        var options = json.Value.JsonSerializerOptions;
        var body = JsonSerializer.SerializeToNode(flow, options)!.AsObject();
        body["explanation"] = plan.Explanation;
        body["usage"] = JsonSerializer.SerializeToNode(plan.Usage, options);
        body["planner"] = plan.Planner;
        body["model"] = plan.Model;
        return body;
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
    [ProducesResponseType<FlowRunResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status502BadGateway)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status503ServiceUnavailable)]
    public Task<FlowRunResponse> GenerateAndExecute([FromQuery] GenerateAndExecuteQuery query, CancellationToken cancellationToken) =>
        generation.GenerateAndExecuteAsync(query.FlowRequestId!.Value, cancellationToken);
}
