using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.OpenApi;
using Neena.Api.Controllers;
using Neena.Api.Errors;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Neena.Api.Hosting.OpenApi;

/// <summary>
/// <c>GET /flow_runs/events</c> answers an event stream, not JSON: its success is <c>text/event-stream</c> (a byte stream
/// to client generators, which read it as it comes), and its refusals are the contract's JSON bodies.
/// </summary>
internal sealed class RunEventsOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (context.ApiDescription.ActionDescriptor is not ControllerActionDescriptor { ActionName: nameof(FlowRunsController.Events) } action
            || action.ControllerTypeInfo.AsType() != typeof(FlowRunsController)
            || operation.Responses is not { } responses)
            return;
        if (responses.TryGetValue("200", out var ok) && ok is OpenApiResponse success)
        {
            success.Description = "Server-Sent Events, as they happen: `event: task_run` (a task run's JSON, as in the run's `task_runs`) and " +
                "`event: run` (the run's JSON, as `GET /flow_runs/?id=` answers it) for every state change, each with an `id:` to send back as " +
                "`Last-Event-ID`; a `: heartbeat` comment every 15 s; `event: end` (`{\"id\", \"status\"}`) after the run's final `run` event, " +
                "then the server closes the stream. A stream that can no longer read the run (the database unavailable) also ends with " +
                "`end`, whose `status` is then not final and whose `detail` says why: reconnect with `Last-Event-ID`. A client that takes " +
                "no event for `RunEvents:SlowReaderSeconds` (30) is dropped.";
            success.Content = new Dictionary<string, OpenApiMediaType>
            {
                ["text/event-stream"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
            };
        }
        foreach (var code in new[] { "429", "503" })
        {
            if (!responses.TryGetValue(code, out var refused) || refused is not OpenApiResponse unavailable)
                continue;
            var detail = context.SchemaGenerator.GenerateSchema(typeof(DetailResponse), context.SchemaRepository);
            unavailable.Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = detail } };
            unavailable.Headers ??= new Dictionary<string, IOpenApiHeader>();
            unavailable.Headers["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait before trying again.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } };
        }
        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is OpenApiParameter { Name: RunEvents.RunEventStreamer.LastEventIdHeader } lastEventId)
                lastEventId.Description = "The `id:` of the last event received: only what changed since is sent again. Anything else is a 422.";
        }
    }
}
