using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Neena.Api.Contracts.Catalogue;
using Neena.Api.Contracts.Common;
using Neena.Api.Errors;
using Neena.Api.Services;

namespace Neena.Api.Controllers;

[ApiController]
[Route("integrations")]
[Produces("application/json")]
public sealed class IntegrationsController(CatalogueService catalogue) : ControllerBase
{
    /// <summary>Every integration of the catalogue, newest first.</summary>
    [HttpGet("all")]
    [ProducesResponseType<IReadOnlyList<IntegrationResponse>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task<IReadOnlyList<IntegrationResponse>> List([FromQuery] PageQuery page, CancellationToken cancellationToken) =>
        catalogue.ListIntegrationsAsync(page, cancellationToken);

    /// <summary>One integration.</summary>
    [HttpGet("")]
    [ProducesResponseType<IntegrationResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<IntegrationResponse> Get([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        catalogue.GetIntegrationAsync(id, cancellationToken);
}

[ApiController]
[Route("task_definitions")]
[Produces("application/json")]
public sealed class TaskDefinitionsController(CatalogueService catalogue) : ControllerBase
{
    /// <summary>Every live task definition, newest first, each with the integration it belongs to.</summary>
    [HttpGet("all")]
    [ProducesResponseType<IReadOnlyList<TaskDefinitionResponse>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task<IReadOnlyList<TaskDefinitionResponse>> List([FromQuery] PageQuery page, CancellationToken cancellationToken) =>
        catalogue.ListTaskDefinitionsAsync(page, cancellationToken);

    /// <summary>One task definition.</summary>
    [HttpGet("")]
    [ProducesResponseType<TaskDefinitionResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<TaskDefinitionResponse> Get([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        catalogue.GetTaskDefinitionAsync(id, cancellationToken);

    /// <summary>
    /// The <c>k</c> task definitions most similar to <c>request</c> (default 5, at most 50), most similar first, each with
    /// its <c>similarity</c>: what the planner would consider for that request (the original's endpoint).
    /// </summary>
    [HttpGet("retrieve")]
    [ProducesResponseType<IReadOnlyList<RetrievedTaskDefinitionResponse>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task<IReadOnlyList<RetrievedTaskDefinitionResponse>> Retrieve(
        [FromQuery] RetrieveQuery query, [FromServices] TaskDefinitionRetrievalService retrieval, CancellationToken cancellationToken) =>
        retrieval.RetrieveAsync(query, cancellationToken);
}

[ApiController]
[Route("webhook_trigger_definitions")]
[Produces("application/json")]
public sealed class WebhookTriggerDefinitionsController(CatalogueService catalogue) : ControllerBase
{
    /// <summary>Every live webhook trigger definition (platform events that can start a flow), newest first.</summary>
    [HttpGet("all")]
    [ProducesResponseType<IReadOnlyList<WebhookTriggerDefinitionResponse>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task<IReadOnlyList<WebhookTriggerDefinitionResponse>> List([FromQuery] PageQuery page, CancellationToken cancellationToken) =>
        catalogue.ListTriggerDefinitionsAsync(page, cancellationToken);

    /// <summary>One webhook trigger definition.</summary>
    [HttpGet("")]
    [ProducesResponseType<WebhookTriggerDefinitionResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<WebhookTriggerDefinitionResponse> Get([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        catalogue.GetTriggerDefinitionAsync(id, cancellationToken);
}
