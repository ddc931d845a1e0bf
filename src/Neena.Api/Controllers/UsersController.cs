using Microsoft.AspNetCore.Mvc;
using Neena.Api.Auth;
using Neena.Api.Contracts.Users;
using Neena.Api.Errors;
using Neena.Api.Services;

namespace Neena.Api.Controllers;

[ApiController]
[Route("users")]
[AllowUnregistered]
[Produces("application/json")]
public sealed class UsersController(UserService users) : ControllerBase
{
    /// <summary>The authenticated caller, with the permissions of the credential used.</summary>
    [HttpGet("")]
    [ProducesResponseType<UserResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    public Task<UserResponse> GetCurrent(CancellationToken cancellationToken) =>
        users.GetCurrentAsync(User, cancellationToken);

    /// <summary>Changes the caller's <c>full_name</c> (at most 200 characters) and answers the user as <c>GET /users/</c> shows it.</summary>
    [HttpPut("")]
    [ProducesResponseType<UserResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status404NotFound)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task<UserResponse> UpdateCurrent([FromBody] UpdateUserRequest request, CancellationToken cancellationToken) =>
        users.UpdateCurrentAsync(User, request, cancellationToken);

    /// <summary>
    /// Creates the caller's user (email and auth0_id must match the token) or returns the existing one. A user with
    /// this email but no auth0_id is linked only when the token says <c>email_verified: true</c>; otherwise 409.
    /// </summary>
    [HttpPost("create_if_not_exists")]
    [ProducesResponseType<UserResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<DetailResponse>(StatusCodes.Status409Conflict)]
    [ProducesResponseType<ValidationErrorResponse>(StatusCodes.Status422UnprocessableEntity)]
    public Task<UserResponse> CreateIfNotExists([FromBody] CreateUserRequest request, CancellationToken cancellationToken) =>
        users.CreateIfNotExistsAsync(User, request, cancellationToken);
}
