using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.Options;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.FlowRuns;
using Neena.Api.Errors;
using Neena.Api.Hosting;
using Neena.Api.Routing;
using Neena.Api.RunEvents;
using Neena.Api.Services;
using Neena.Persistence;

namespace Neena.Api.Controllers;

[ApiController]
[Route("flow_runs")]
[Produces("application/json")]
public sealed class FlowRunsController(IOptions<JsonOptions> json) : ControllerBase
{
    /// <summary>Creates a run of a flow for a flow request; <c>approval_status: "approved"</c> starts it at once, <c>"rejected"</c> cancels it.</summary>
    [HttpPost("")]
    [ProducesResponseType<FlowRunResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity, Description = "`body.flow` or `body.flow_request` is not a resource of your organization, or a field is invalid.")]
    public Task<FlowRunResponse> Create([FromBody] CreateFlowRunRequest request, CancellationToken cancellationToken) =>
        FlowRuns.CreateAsync(request, cancellationToken);

    /// <summary>One run with its task runs (ordered by task operation index).</summary>
    [HttpGet("")]
    [ProducesResponseType<FlowRunResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task Get([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        FlowRunReads.WriteAsync(Db, id, Response, json.Value.JsonSerializerOptions, cancellationToken);

    /// <summary>The same as <c>GET /flow_runs/?id=</c>, with the id in the path.</summary>
    [HttpGet("{id}")]
    [ProducesResponseType<FlowRunResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity, Description = "The id is not a uuid (`path.id`).")]
    public Task GetByPath([FromRoute] Guid id, CancellationToken cancellationToken) =>
        FlowRunReads.WriteAsync(Db, id, Response, json.Value.JsonSerializerOptions, cancellationToken);

    /// <summary>The organization's runs, newest first, optionally filtered.</summary>
    [HttpGet("all")]
    [LargeResponse]
    [ProducesResponseType<IReadOnlyList<FlowRunResponse>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task List([FromQuery] PageQuery page, [FromQuery] FlowRunFilter filter, CancellationToken cancellationToken) =>
        FlowRunReads.WriteListAsync(Db, page, FlowRunService.ListFilter(filter), Response, json.Value.JsonSerializerOptions, cancellationToken);

    /// <summary>The runs of one flow (404 when the flow is not the caller's).</summary>
    [HttpGet("all_for_flow_id")]
    [LargeResponse]
    [ProducesResponseType<IReadOnlyList<FlowRunResponse>>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task ListForFlow([FromQuery(Name = "flow_id"), BindRequired] Guid flowId, [FromQuery] PageQuery page, CancellationToken cancellationToken) =>
        FlowRunReads.WriteListForFlowAsync(Db, flowId, page, Response, json.Value.JsonSerializerOptions, cancellationToken);

    /// <summary>Light rows for overviews: the flow's name and the request's instructions instead of task runs.</summary>
    [HttpGet("preview/all")]
    [ProducesResponseType<IReadOnlyList<FlowRunPreviewResponse>>(StatusCodes.Status200OK)]
    public Task<IReadOnlyList<FlowRunPreviewResponse>> Preview([FromQuery] PageQuery page, [FromQuery] FlowRunFilter filter, CancellationToken cancellationToken) =>
        FlowRuns.PreviewAsync(page, filter, cancellationToken);

    /// <summary>Approves a pending run; the engine starts it at once. 409 unless it is pending and awaiting approval.</summary>
    [HttpPut("approve")]
    [ProducesResponseType<FlowRunResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status409Conflict, Description = "The run is not pending and awaiting approval (it was approved, rejected, cancelled or has ended).")]
    public Task<FlowRunResponse> Approve([FromQuery(Name = "flow_run_id"), BindRequired] Guid flowRunId, CancellationToken cancellationToken) =>
        FlowRuns.ApproveAsync(flowRunId, cancellationToken);

    /// <summary>Rejects a pending run awaiting approval: it ends cancelled.</summary>
    [HttpPut("reject")]
    [ProducesResponseType<FlowRunResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status409Conflict, Description = "The run is not pending and awaiting approval.")]
    public Task<FlowRunResponse> Reject([FromQuery(Name = "flow_run_id"), BindRequired] Guid flowRunId, CancellationToken cancellationToken) =>
        FlowRuns.RejectAsync(flowRunId, cancellationToken);

    /// <summary>Cancels a pending or running run: unfinished tasks end cancelled. 409 for finished runs.</summary>
    [HttpPut("cancel")]
    [ProducesResponseType<FlowRunResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status409Conflict, Description = "The run has already ended.")]
    public Task<FlowRunResponse> Cancel([FromQuery(Name = "flow_run_id"), BindRequired] Guid flowRunId, CancellationToken cancellationToken) =>
        FlowRuns.CancelAsync(flowRunId, cancellationToken);

    /// <summary>
    /// Retries a failed or cancelled run where it stopped: completed task runs are kept, the others start again (pending),
    /// and the run is in progress again; its flow result is rewritten when it ends. 409 for other states.
    /// </summary>
    [HttpPut("retry")]
    [ProducesResponseType<FlowRunResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status409Conflict, Description = "The run is not failed or cancelled after having started (it is open, completed, rejected, or never approved).")]
    public Task<FlowRunResponse> Retry([FromQuery(Name = "flow_run_id"), BindRequired] Guid flowRunId, CancellationToken cancellationToken) =>
        FlowRuns.RetryAsync(flowRunId, cancellationToken);

    /// <summary>
    /// Live progress of one run as Server-Sent Events (<c>text/event-stream</c>): <c>task_run</c> and <c>run</c> events carrying
    /// the JSON of the read endpoints on every state change, a heartbeat comment every 15 s, and an <c>end</c> event after
    /// the run's final <c>run</c> event, when the stream closes. Send <c>Last-Event-ID</c> (the last <c>id:</c> received) to
    /// resume: only what changed since is sent again. A run that has already ended answers its final state and the end at once.
    /// </summary>
    [HttpGet("events")]
    [ProducesResponseType<string>(StatusCodes.Status200OK, "text/event-stream")]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status429TooManyRequests, Description = "The caller's credential (`RunEvents:MaxStreamsPerCredential`) or organization (`RunEvents:MaxStreamsPerOrganization`) has as many event streams open on this server as it may; close one, or retry after `Retry-After` seconds.")]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status503ServiceUnavailable, Description = "This server has as many event streams open as it allows (`RunEvents:MaxStreams`), or the database is out of connections; retry after `Retry-After` seconds.")]
    public Task Events(
        [FromQuery, BindRequired] Guid id,
        [FromHeader(Name = RunEventStreamer.LastEventIdHeader)] string? lastEventId,
        CancellationToken cancellationToken) =>
        HttpContext.RequestServices.GetRequiredService<RunEventStreamer>().StreamAsync(HttpContext, id, lastEventId, cancellationToken);

    /// <summary>The run plus its flow result (null until there is one): under <c>flow_result</c> on /api/v1, under <c>result</c> on the root surface.</summary>
    [HttpGet("with_flow_result")]
    [ProducesResponseType<FlowRunResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public async Task<JsonObject> GetWithResult([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken)
    {
        var (run, result) = await FlowRuns.GetWithResultAsync(id, cancellationToken);
        var options = json.Value.JsonSerializerOptions;
        var body = JsonSerializer.SerializeToNode(run, options)!.AsObject();
        var key = HttpContext.GetApiSurface().FlowResultKey();
        body[key] = result is null ? null : JsonSerializer.SerializeToNode(result, options);
        return body;
    }

    // The reads write their JSON from the rows themselves (FlowRunJsonWriter): the same bytes the serializer wrote, with no
    // objects in between.
    private NeenaDbContext Db => HttpContext.RequestServices.GetRequiredService<NeenaDbContext>();

    // Resolved by the actions that use it: the reads above never do, and building it (with its commands) was work on every one.
    private FlowRunService FlowRuns => HttpContext.RequestServices.GetRequiredService<FlowRunService>();
}
