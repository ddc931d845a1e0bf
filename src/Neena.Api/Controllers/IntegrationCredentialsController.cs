using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Neena.Api.Contracts.Common;
using Neena.Api.Contracts.IntegrationCredentials;
using Neena.Api.Errors;
using Neena.Api.Services;

namespace Neena.Api.Controllers;

[ApiController]
[Route("integration_credentials")]
[Produces("application/json")]
public sealed class IntegrationCredentialsController(IntegrationCredentialService credentials) : ControllerBase
{
    /// <summary>Stores a credential of the caller's organization, encrypted; the answer lists its field names, never a value.</summary>
    [HttpPost("")]
    [ProducesResponseType<IntegrationCredentialResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity, Description = "The integration is unknown or takes no credentials, a declared field is missing, an undeclared one is given, or a field is invalid.")]
    public Task<IntegrationCredentialResponse> Create([FromBody] CreateIntegrationCredentialRequest request, CancellationToken cancellationToken) =>
        credentials.CreateAsync(request, cancellationToken);

    /// <summary>One credential (its field names, never their values).</summary>
    [HttpGet("")]
    [ProducesResponseType<IntegrationCredentialResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<IntegrationCredentialResponse> Get([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        credentials.GetAsync(id, cancellationToken);

    /// <summary>The organization's credentials, newest first.</summary>
    [HttpGet("all")]
    [ProducesResponseType<IReadOnlyList<IntegrationCredentialResponse>>(StatusCodes.Status200OK)]
    public Task<IReadOnlyList<IntegrationCredentialResponse>> List([FromQuery] PageQuery page, CancellationToken cancellationToken) =>
        credentials.ListAsync(page, cancellationToken);

    /// <summary>Deletes a credential: its secret values are destroyed, and the answer shows it with <c>deleted_at</c> set.</summary>
    [HttpDelete("")]
    [ProducesResponseType<IntegrationCredentialResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<IntegrationCredentialResponse> Delete([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        credentials.DeleteAsync(id, cancellationToken);

    /// <summary>
    /// Asks the credential's platform whether it accepts it (Slack <c>auth.test</c>, Trello <c>members/me</c>). A refusal or an
    /// unreachable platform is <c>ok: false</c> with the reason in <c>detail</c>.
    /// </summary>
    [HttpPost("check")]
    [ProducesResponseType<CredentialCheckResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<CredentialCheckResponse> Check([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        credentials.CheckAsync(id, cancellationToken);
}
