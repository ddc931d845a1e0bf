using System.Net;
using Microsoft.EntityFrameworkCore;
using Neena.Domain.Organizations;
using Neena.Domain.Users;
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
    public async Task CreateIfNotExists_CommandLineUserAndVerifiedEmailInOtherCase_LinksIt()
    {
        var (userId, organizationId, email) = await CreateCommandLineUserAsync();
        var subject = "auth0|" + Guid.NewGuid().ToString("N");
        var tokenEmail = email.ToUpperInvariant();
        var client = factory.ClientWithBearer(NeenaFactory.Jwt(subject, tokenEmail, extraClaims: Verified(true)));

        var response = await client.PostJsonAsync(Create, new { email = tokenEmail, auth0_id = subject });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal(userId.ToString(), body["id"]!.GetValue<string>());
        Assert.Equal(organizationId.ToString(), body["organization"]!.GetValue<string>());
        Assert.Equal(subject, body["auth0_id"]!.GetValue<string>());
        await using var db = factory.CreateDbContext();
        Assert.Equal(subject, (await db.Users.IgnoreQueryFilters().SingleAsync(u => u.Id == userId)).Auth0Id);
    }

    public static TheoryData<string, object?> UnverifiedClaims() => new()
    {
        { "email_verified", false },
        { "email_verified", "false" },
        { "email_verified", "yes" },
        { "https://neena.io/email_verified", false },
        { "absent", null },
    };

    [Theory]
    [MemberData(nameof(UnverifiedClaims))]
    public async Task CreateIfNotExists_CommandLineUserAndUnverifiedEmail_Returns409AndLinksNothing(string claim, object? value)
    {
        var (userId, _, email) = await CreateCommandLineUserAsync();
        var subject = "auth0|" + Guid.NewGuid().ToString("N");
        var claims = value is null ? null : new Dictionary<string, object> { [claim] = value };
        var client = factory.ClientWithBearer(NeenaFactory.Jwt(subject, email, extraClaims: claims));

        var response = await client.PostJsonAsync(Create, new { email, auth0_id = subject });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("A user with this email already exists", await response.DetailAsync());
        await using var db = factory.CreateDbContext();
        Assert.Null((await db.Users.IgnoreQueryFilters().SingleAsync(u => u.Id == userId)).Auth0Id);
        Assert.False(await db.Users.IgnoreQueryFilters().AnyAsync(u => u.Auth0Id == subject));
        // Still not registered: the unverified identity gets nothing of the existing user's organization.
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/flows/all")).StatusCode);
    }

    [Fact]
    public async Task CreateIfNotExists_NamespacedVerifiedClaim_LinksCommandLineUser()
    {
        var (userId, _, email) = await CreateCommandLineUserAsync();
        var subject = "auth0|" + Guid.NewGuid().ToString("N");
        var client = factory.ClientWithBearer(NeenaFactory.Jwt(subject, email, extraClaims: new Dictionary<string, object> { ["https://neena.io/email_verified"] = true }));

        var response = await client.PostJsonAsync(Create, new { email, auth0_id = subject });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(userId.ToString(), (await response.ReadJsonAsync())["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateIfNotExists_EmailOfUserWithAnotherIdentity_Returns409AndKeepsIt()
    {
        var tenant = await factory.CreateTenantAsync();
        var subject = "auth0|" + Guid.NewGuid().ToString("N");
        var client = factory.ClientWithBearer(NeenaFactory.Jwt(subject, tenant.Email, extraClaims: Verified(true)));

        var response = await client.PostJsonAsync(Create, new { email = tenant.Email, auth0_id = subject });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("A user with this email already exists", await response.DetailAsync());
        await using var db = factory.CreateDbContext();
        Assert.Equal(tenant.Auth0Id, (await db.Users.IgnoreQueryFilters().SingleAsync(u => u.Id == tenant.UserId)).Auth0Id);
    }

    [Fact]
    public async Task CreateIfNotExists_IdentitiesRacingForOneCommandLineUser_ExactlyOneLinks()
    {
        var (userId, _, email) = await CreateCommandLineUserAsync();
        var subjects = Enumerable.Range(0, 6).Select(_ => "auth0|" + Guid.NewGuid().ToString("N")).ToList();

        var responses = await Task.WhenAll(subjects.Select(subject =>
            factory.ClientWithBearer(NeenaFactory.Jwt(subject, email, extraClaims: Verified(true)))
                .PostJsonAsync(Create, new { email, auth0_id = subject })));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        var winner = subjects[Array.FindIndex(responses, r => r.StatusCode == HttpStatusCode.OK)];
        await using var db = factory.CreateDbContext();
        Assert.Equal(winner, (await db.Users.IgnoreQueryFilters().SingleAsync(u => u.Id == userId)).Auth0Id);
        Assert.Equal(1, await db.Users.IgnoreQueryFilters().CountAsync(u => u.NormalizedEmail == email));
    }

    private static Dictionary<string, object> Verified(bool value) => new() { ["email_verified"] = value };

    /// <summary>A user as <c>create-api-key</c> makes it: an organization of its own and no <c>auth0_id</c>.</summary>
    private async Task<(Guid UserId, Guid OrganizationId, string Email)> CreateCommandLineUserAsync()
    {
        var email = $"ops-{Guid.NewGuid():N}@example.com";
        await using var db = factory.CreateDbContext();
        var organization = new Organization { Name = "Ops" };
        var user = new User { Email = email, NormalizedEmail = User.Normalize(email), OrganizationId = organization.Id };
        db.AddRange(organization, user);
        await db.SaveChangesAsync();
        return (user.Id, organization.Id, email);
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
