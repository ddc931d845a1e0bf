using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Neena.Api.Errors;
using Neena.Domain.Common;

namespace Neena.Api.Auth;

/// <summary>
/// Marks endpoints that need only an authenticated caller (<c>users/*</c>): no user row yet (a JWT user registers
/// here) and no permission (a token with <c>"permissions": []</c> can still see who it is and register).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class AllowUnregisteredAttribute : Attribute;

/// <summary>Every endpoint (unless marked) needs a registered user and <c>read</c> for GET or <c>write</c> for anything else.</summary>
internal sealed class NeenaRequirement : IAuthorizationRequirement;

internal sealed class NeenaRequirementHandler : AuthorizationHandler<NeenaRequirement>
{
    public const string NotRegistered = "User is not registered; call /api/v1/users/create_if_not_exists";

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, NeenaRequirement requirement)
    {
        if (context.Resource is not HttpContext http || context.User.Identity?.IsAuthenticated != true)
            return Task.CompletedTask;

        if (http.GetEndpoint()?.Metadata.GetMetadata<AllowUnregisteredAttribute>() is not null)
        {
            context.Succeed(requirement);
            return Task.CompletedTask;
        }
        if (context.User.GetUserId() is null)
        {
            context.Fail(new AuthorizationFailureReason(this, NotRegistered));
            return Task.CompletedTask;
        }

        var readOnlyMethod = HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsOptions(http.Request.Method);
        var needed = readOnlyMethod && http.GetEndpoint()?.Metadata.GetMetadata<RequiresWriteAttribute>() is null
            ? Permissions.Read
            : Permissions.Write;
        if (context.User.HasClaim(NeenaClaims.Permission, needed))
            context.Succeed(requirement);
        else
            context.Fail(new AuthorizationFailureReason(this, $"Missing \"{needed}\" permission"));
        return Task.CompletedTask;
    }
}

/// <summary>Answers refused authorization with the contract's bodies instead of the framework's empty 401/403.</summary>
internal sealed class NeenaAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && context.User.Identity?.IsAuthenticated == true)
        {
            var reason = authorizeResult.AuthorizationFailure?.FailureReasons.FirstOrDefault()?.Message ?? "Forbidden";
            await ErrorWriter.WriteDetailAsync(context, StatusCodes.Status403Forbidden, reason);
            return;
        }
        await _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
