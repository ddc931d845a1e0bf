using System.Net;
using Microsoft.EntityFrameworkCore;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Identity;

public sealed class UsersTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    private const string Create = "/api/v1/users/create_if_not_exists";

    [Fact]
    public async Task CreateIfNotExists_NewJwtUser_CreatesUserAndOrganization()
    {
        var subject = "auth0|" + Guid.NewGuid().ToString("N");
        var client = factory.ClientWithBearer(NeenaFactory.Jwt(subject, "Jane@Example.com"));

        var response = await client.PostJsonAsync(Create, new { email = "Jane@Example.com", full_name = "Jane Doe", auth0_id = subject });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal("Jane@Example.com", body["email"]!.GetValue<string>());
        Assert.Equal("Jane Doe", body["full_name"]!.GetValue<string>());
        Assert.Equal(subject, body["auth0_id"]!.GetValue<string>());
        Assert.Null(body["permissions"]);
        Assert.True(body.AsObject().ContainsKey("permissions"));
        await using var db = factory.CreateDbContext();
        var user = await db.Users.IgnoreQueryFilters().SingleAsync(u => u.Auth0Id == subject);
        Assert.Equal(body["organization"]!.GetValue<string>(), user.OrganizationId.ToString());

        // Registered now: endpoints outside users/* open up.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/api_keys/all")).StatusCode);
    }

    [Fact]
    public async Task CreateIfNotExists_ExistingUser_ReturnsItUnchanged()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(NeenaFactory.Jwt(tenant.Auth0Id!, tenant.Email));

        var response = await client.PostJsonAsync(Create, new { email = tenant.Email, full_name = "Another Name", auth0_id = tenant.Auth0Id });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal(tenant.UserId.ToString(), body["id"]!.GetValue<string>());
        Assert.Equal("Test User", body["full_name"]!.GetValue<string>());
        await using var db = factory.CreateDbContext();
        Assert.Equal(1, await db.Users.IgnoreQueryFilters().CountAsync(u => u.Auth0Id == tenant.Auth0Id));
    }

    [Fact]
    public async Task CreateIfNotExists_MismatchedEmail_Returns400()
    {
        var subject = "auth0|" + Guid.NewGuid().ToString("N");
        var client = factory.ClientWithBearer(NeenaFactory.Jwt(subject, "me@example.com"));

        var response = await client.PostJsonAsync(Create, new { email = "someone-else@example.com", auth0_id = subject });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("You are not authorized to create this user.", await response.DetailAsync());
        await using var db = factory.CreateDbContext();
        Assert.False(await db.Users.IgnoreQueryFilters().AnyAsync(u => u.Auth0Id == subject));
    }

    [Fact]
    public async Task CreateIfNotExists_MismatchedAuth0Id_Returns400()
    {
        var subject = "auth0|" + Guid.NewGuid().ToString("N");
        var client = factory.ClientWithBearer(NeenaFactory.Jwt(subject, "me2@example.com"));

        var response = await client.PostJsonAsync(Create, new { email = "me2@example.com", auth0_id = "auth0|somebody-else" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("You are not authorized to create this user.", await response.DetailAsync());
    }

    [Fact]
    public async Task CreateIfNotExists_NamespacedEmailClaimAndOrgId_JoinsThatOrganization()
    {
        var orgId = "org_" + Guid.NewGuid().ToString("N");
        var first = "auth0|" + Guid.NewGuid().ToString("N");
        var second = "auth0|" + Guid.NewGuid().ToString("N");
        var claims = new Dictionary<string, object> { ["org_id"] = orgId };
        var firstClient = factory.ClientWithBearer(NeenaFactory.Jwt(first, null, extraClaims: new Dictionary<string, object>(claims) { ["https://neena.io/email"] = "a@team.example" }));
        var secondClient = factory.ClientWithBearer(NeenaFactory.Jwt(second, "b@team.example", extraClaims: claims));

        var a = await (await firstClient.PostJsonAsync(Create, new { email = "a@team.example", auth0_id = first })).ReadJsonAsync();
        var b = await (await secondClient.PostJsonAsync(Create, new { email = "b@team.example", auth0_id = second })).ReadJsonAsync();

        Assert.Equal(a["organization"]!.GetValue<string>(), b["organization"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateIfNotExists_ConcurrentCalls_CreateOneUser()
    {
        var subject = "auth0|" + Guid.NewGuid().ToString("N");
        var email = $"{Guid.NewGuid():N}@example.com";
        var client = factory.ClientWithBearer(NeenaFactory.Jwt(subject, email));

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.PostJsonAsync(Create, new { email, auth0_id = subject })));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        await using var db = factory.CreateDbContext();
        Assert.Equal(1, await db.Users.IgnoreQueryFilters().CountAsync(u => u.Auth0Id == subject));
    }

    [Fact]
    public async Task CreateIfNotExists_InvalidBody_Returns422()
    {
        var subject = "auth0|" + Guid.NewGuid().ToString("N");
        var client = factory.ClientWithBearer(NeenaFactory.Jwt(subject, "me3@example.com"));

        var response = await client.PostJsonAsync(Create, new { email = "not-an-email", full_name = new string('x', 300) });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(["body.email", "body.auth0_id", "body.full_name"], await response.ErrorLocationsAsync());
        Assert.Equal("value is not a valid email address", await response.ErrorMessageAsync("body.email"));
        Assert.Equal("field required", await response.ErrorMessageAsync("body.auth0_id"));
    }

    [Fact]
    public async Task GetCurrent_UnregisteredJwt_Returns404()
    {
        var client = factory.ClientWithBearer(NeenaFactory.Jwt("auth0|" + Guid.NewGuid().ToString("N"), "ghost@example.com"));

        var response = await client.GetAsync("/api/v1/users/");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.NotNull(await response.DetailAsync());
    }

    [Fact]
    public async Task GetCurrent_ApiKey_ReturnsDocumentedKeys()
    {
        var tenant = await factory.CreateTenantAsync();

        var body = await (await factory.ClientWithApiKeyHeader(tenant.ApiKey).GetAsync("/users/")).ReadJsonAsync();

        Assert.Equal(["email", "full_name", "auth0_id", "id", "permissions", "organization"], body.AsObject().Select(p => p.Key));
        Assert.Equal(tenant.OrganizationId.ToString(), body["organization"]!.GetValue<string>());
    }
}
