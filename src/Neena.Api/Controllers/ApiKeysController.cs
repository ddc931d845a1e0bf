using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Neena.Api.Contracts.ApiKeys;
using Neena.Api.Contracts.Common;
using Neena.Api.Errors;
using Neena.Api.Idempotency;
using Neena.Api.Services;

namespace Neena.Api.Controllers;

[ApiController]
[Route("api_keys")]
[Produces("application/json")]
public sealed class ApiKeysController(ApiKeyService apiKeys) : ControllerBase
{
    /// <summary>Issues a key for the caller; the plaintext <c>key</c> is in this answer only.</summary>
    [HttpPost("")]
    [ResponseHoldsSecret]
    [ProducesResponseType<CreatedApiKeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status403Forbidden, Description = "`permissions` asks for a permission the calling credential does not have.")]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task<CreatedApiKeyResponse> Create([FromBody] CreateApiKeyRequest request, CancellationToken cancellationToken) =>
        apiKeys.CreateAsync(User, request, cancellationToken);

    /// <summary>The organization's keys, newest first, revoked ones included.</summary>
    [HttpGet("all")]
    [ProducesResponseType<IReadOnlyList<ApiKeyResponse>>(StatusCodes.Status200OK)]
    public Task<IReadOnlyList<ApiKeyResponse>> List([FromQuery] PageQuery page, CancellationToken cancellationToken) =>
        apiKeys.ListAsync(page, cancellationToken);

    /// <summary>Revokes a key: it stops working at once.</summary>
    [HttpDelete("")]
    [ProducesResponseType<ApiKeyResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<ApiKeyResponse> Revoke([FromQuery, BindRequired] Guid id, CancellationToken cancellationToken) =>
        apiKeys.RevokeAsync(id, cancellationToken);
}
