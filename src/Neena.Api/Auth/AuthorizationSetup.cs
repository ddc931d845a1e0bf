using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Neena.Api.Errors;
using Neena.Domain.Common;

namespace Neena.Api.Auth;

/// <summary>Marks endpoints a JWT caller may use before it has a user row (<c>users/*</c>).</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class AllowUnregisteredAttribute : Attribute;

/// <summary>Every endpoint needs a registered user (unless marked) and <c>read</c> for GET or <c>write</c> for anything else.</summary>
internal sealed class NeenaRequirement : IAuthorizationRequirement;

internal sealed class NeenaRequirementHandler : AuthorizationHandler<NeenaRequirement>
{
    public const string NotRegistered = "User is not registered; call /api/v1/users/create_if_not_exists";

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, NeenaRequirement requirement)
    {
        if (context.Resource is not HttpContext http || context.User.Identity?.IsAuthenticated != true)
            return Task.CompletedTask;

        var allowUnregistered = http.GetEndpoint()?.Metadata.GetMetadata<AllowUnregisteredAttribute>() is not null;
        if (!allowUnregistered && context.User.GetUserId() is null)
        {
            context.Fail(new AuthorizationFailureReason(this, NotRegistered));
            return Task.CompletedTask;
        }

        var needed = HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsOptions(http.Request.Method)
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
