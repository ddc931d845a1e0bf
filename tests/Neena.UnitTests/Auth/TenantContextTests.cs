using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Neena.Api.Auth;
using Neena.Persistence;

namespace Neena.UnitTests.Auth;

/// <summary>
/// The tenant context is one per process (pooled contexts hold it), so the organization a background flow acts for must
/// stay with that flow: never leak into another flow running at the same time, nor outlive its scope.
/// </summary>
public sealed class TenantContextTests
{
    [Fact]
    public async Task ActFor_TwoBackgroundFlowsAtOnce_EachSeesOnlyItsOwnOrganization()
    {
        var tenant = new BackgroundTenantContext();
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();
        using var bothActing = new Barrier(2);

        async Task<(Guid?, string?)> ActAsync(Guid organization, string email)
        {
            await Task.Yield();
            using var acting = tenant.ActFor(organization, email);
            bothActing.SignalAndWait(TimeSpan.FromSeconds(10));
            await Task.Delay(10);
            return (tenant.OrganizationId, tenant.UserEmail);
        }

        var results = await Task.WhenAll(
            Task.Run(() => ActAsync(first, "first@example.com")),
            Task.Run(() => ActAsync(second, "second@example.com")));

        Assert.Equal((first, "first@example.com"), results[0]);
        Assert.Equal((second, "second@example.com"), results[1]);
        Assert.Null(tenant.OrganizationId);
    }

    [Fact]
    public void ActFor_ScopeDisposed_TheActingOrganizationIsGone()
    {
        var tenant = new BackgroundTenantContext();
        var organization = Guid.NewGuid();

        using (tenant.ActFor(organization, "someone@example.com"))
            Assert.Equal(organization, tenant.OrganizationId);

        Assert.Null(tenant.OrganizationId);
        Assert.Null(tenant.UserEmail);
    }

    [Fact]
    public void ActFor_InsideARequest_IsRefusedAndTheRequestKeepsItsOwnTenant()
    {
        var organization = Guid.NewGuid();
        var accessor = new HttpContextAccessor
        {
            HttpContext = new DefaultHttpContext
            {
                User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(NeenaClaims.OrganizationId, organization.ToString())], "test")),
            },
        };
        var background = new BackgroundTenantContext(() => HttpTenantContext.Refusal(accessor));
        var tenant = new HttpTenantContext(accessor, background);

        Assert.Throws<InvalidOperationException>(() => background.ActFor(Guid.NewGuid(), null));
        Assert.Equal(organization, tenant.OrganizationId);
        accessor.HttpContext = null;
    }

    [Fact]
    public void OutsideARequest_TheContextsReadTheBackgroundAct()
    {
        var accessor = new HttpContextAccessor();
        var background = new BackgroundTenantContext(() => HttpTenantContext.Refusal(accessor));
        var tenant = new HttpTenantContext(accessor, background);
        var organization = Guid.NewGuid();

        using (background.ActFor(organization, "worker@example.com"))
            Assert.Equal((organization, "worker@example.com"), (tenant.OrganizationId, tenant.UserEmail));

        Assert.Null(tenant.OrganizationId);
    }
}
