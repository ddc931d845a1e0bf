using System.Net;
using Microsoft.EntityFrameworkCore;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Identity;

public sealed class AuthenticationTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    private const string UsersV1 = "/api/v1/users/";

    [Fact]
    public async Task Request_NoCredentials_Returns403NotAuthenticated()
    {
        var response = await factory.CreateClient().GetAsync(UsersV1);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Not authenticated", await response.DetailAsync());
    }

    [Fact]
    public async Task Request_NonBearerAuthorization_Returns403NotAuthenticated()
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("Authorization", "Basic dXNlcjpwYXNz");

        var response = await client.GetAsync(UsersV1);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Not authenticated", await response.DetailAsync());
    }

    [Theory]
    [InlineData("nk_unknownkey")]
    [InlineData("not-a-key-at-all")]
    [InlineData("ünïcødé-kéy")]
    public async Task Request_UnknownApiKey_Returns403InvalidApiKey(string key)
    {
        var viaHeader = await factory.ClientWithApiKeyHeader(Uri.EscapeDataString(key)).GetAsync(UsersV1);
        var viaBearer = await factory.ClientWithBearer(Uri.EscapeDataString(key)).GetAsync(UsersV1);

        foreach (var response in new[] { viaHeader, viaBearer })
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("Invalid API Key", await response.DetailAsync());
        }
    }

    [Fact]
    public async Task Request_RevokedApiKey_Returns403InvalidApiKey()
    {
        var tenant = await factory.CreateTenantAsync();
        await using (var db = factory.CreateDbContext())
        {
            await db.ApiKeys.IgnoreQueryFilters().Where(k => k.Id == tenant.ApiKeyId)
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, DateTime.UtcNow));
        }

        var response = await factory.ClientWithApiKeyHeader(tenant.ApiKey).GetAsync(UsersV1);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Invalid API Key", await response.DetailAsync());
    }

    [Fact]
    public async Task Request_ExpiredApiKey_Returns403InvalidApiKey()
    {
        var tenant = await factory.CreateTenantAsync(expiresAt: DateTime.UtcNow.AddSeconds(-1));

        var response = await factory.ClientWithBearer(tenant.ApiKey).GetAsync(UsersV1);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Invalid API Key", await response.DetailAsync());
    }

    [Theory]
    [InlineData("/api/v1/users/")]
    [InlineData("/users/")]
    [InlineData("/api/v1/users")]
    [InlineData("/users")]
    public async Task Request_ValidApiKeyInEitherHeader_Returns200OnBothSurfaces(string path)
    {
        var tenant = await factory.CreateTenantAsync();

        foreach (var client in new[] { factory.ClientWithBearer(tenant.ApiKey), factory.ClientWithApiKeyHeader(tenant.ApiKey) })
        {
            var response = await client.GetAsync(path);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(tenant.Email, (await response.ReadJsonAsync())["email"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Request_ValidJwtOfRegisteredUser_Returns200()
    {
        var tenant = await factory.CreateTenantAsync();
        var token = NeenaFactory.Jwt(tenant.Auth0Id!, tenant.Email, ["read"]);

        var response = await factory.ClientWithBearer(token).GetAsync(UsersV1);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal(tenant.UserId.ToString(), body["id"]!.GetValue<string>());
        Assert.Equal(["read"], body["permissions"]!.AsArray().Select(p => p!.GetValue<string>()));
    }

    [Fact]
    public async Task Request_JwtWithoutPermissionsClaim_CarriesReadAndWrite()
    {
        var tenant = await factory.CreateTenantAsync();
        var token = NeenaFactory.Jwt(tenant.Auth0Id!, tenant.Email);

        var body = await (await factory.ClientWithBearer(token).GetAsync(UsersV1)).ReadJsonAsync();

        Assert.Equal(["read", "write"], body["permissions"]!.AsArray().Select(p => p!.GetValue<string>()));
    }

    [Fact]
    public async Task Request_JwtWithEmptyPermissions_Returns403EverywhereButUsers()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(NeenaFactory.Jwt(tenant.Auth0Id!, tenant.Email, []));

        var readKeys = await client.GetAsync("/api/v1/api_keys/all");
        var readFlows = await client.GetAsync("/flows/all");
        var mintKey = await client.PostJsonAsync("/api/v1/api_keys/", new { name = "escalate" });
        var me = await client.GetAsync(UsersV1);
        var register = await client.PostJsonAsync("/api/v1/users/create_if_not_exists", new { email = tenant.Email, auth0_id = tenant.Auth0Id });

        Assert.Equal(HttpStatusCode.Forbidden, readKeys.StatusCode);
        Assert.Equal("Missing \"read\" permission", await readKeys.DetailAsync());
        Assert.Equal(HttpStatusCode.Forbidden, readFlows.StatusCode);
        Assert.Equal("Missing \"read\" permission", await readFlows.DetailAsync());
        Assert.Equal(HttpStatusCode.Forbidden, mintKey.StatusCode);
        Assert.Equal("Missing \"write\" permission", await mintKey.DetailAsync());
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Empty((await me.ReadJsonAsync())["permissions"]!.AsArray());
        Assert.Equal(HttpStatusCode.OK, register.StatusCode);
        await using var db = factory.CreateDbContext();
        Assert.Equal(1, await db.ApiKeys.IgnoreQueryFilters().CountAsync(k => k.UserId == tenant.UserId));
    }

    [Fact]
    public async Task CreateIfNotExists_NewUserWithEmptyPermissions_RegistersButGetsNoPermission()
    {
        var subject = "auth0|" + Guid.NewGuid().ToString("N");
        var email = $"{Guid.NewGuid():N}@example.com";
        var client = factory.ClientWithBearer(NeenaFactory.Jwt(subject, email, []));

        var register = await client.PostJsonAsync("/api/v1/users/create_if_not_exists", new { email, auth0_id = subject });
        var me = await client.GetAsync(UsersV1);
        var read = await client.GetAsync("/api/v1/flow_runs/all");

        Assert.Equal(HttpStatusCode.OK, register.StatusCode);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Empty((await me.ReadJsonAsync())["permissions"]!.AsArray());
        Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
        Assert.Equal("Missing \"read\" permission", await read.DetailAsync());
    }

    [Fact]
    public async Task CreateIfNotExists_ReadOnlyJwt_NeedsNoWritePermission()
    {
        var subject = "auth0|" + Guid.NewGuid().ToString("N");
        var email = $"{Guid.NewGuid():N}@example.com";
        var client = factory.ClientWithBearer(NeenaFactory.Jwt(subject, email, ["read"]));

        var register = await client.PostJsonAsync("/api/v1/users/create_if_not_exists", new { email, auth0_id = subject });

        Assert.Equal(HttpStatusCode.OK, register.StatusCode);
    }

    [Fact]
    public async Task Request_JwtWithSingleStringPermission_CarriesExactlyIt()
    {
        var tenant = await factory.CreateTenantAsync();
        var token = NeenaFactory.Jwt(tenant.Auth0Id!, tenant.Email, extraClaims: new Dictionary<string, object> { ["permissions"] = "read" });
        var client = factory.ClientWithBearer(token);

        var me = await (await client.GetAsync(UsersV1)).ReadJsonAsync();
        var write = await client.PostJsonAsync("/api/v1/api_keys/", new { name = "escalate" });

        Assert.Equal(["read"], me["permissions"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Equal("Missing \"write\" permission", await write.DetailAsync());
    }

    public static TheoryData<string, string> BadTokens() => new()
    {
        { NeenaFactory.Jwt("auth0|x", "x@example.com", expires: DateTime.UtcNow.AddMinutes(-5)), "Token has expired" },
        { NeenaFactory.Jwt("auth0|x", "x@example.com", audience: "https://someone-else"), "Invalid audience" },
        { NeenaFactory.Jwt("auth0|x", "x@example.com", issuer: "https://evil.example/"), "Invalid issuer" },
        { NeenaFactory.Jwt("auth0|x", "x@example.com", key: new byte[32]), "Invalid signature" },
        { NeenaFactory.UnsignedJwt("auth0|x", "x@example.com"), "Invalid signature" },
        { "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln", "Malformed token" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Request_BadJwt_Returns401WithReasonAndChallenge(string token, string reason)
    {
        var response = await factory.ClientWithBearer(token).GetAsync(UsersV1);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(reason, await response.DetailAsync());
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Write_ReadOnlyApiKey_Returns403MissingWrite()
    {
        var tenant = await factory.CreateTenantAsync(permissions: ["read"]);
        var client = factory.ClientWithApiKeyHeader(tenant.ApiKey);

        var read = await client.GetAsync("/api/v1/api_keys/all");
        var write = await client.PostJsonAsync("/api/v1/api_keys/", new { name = "more" });

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Equal("Missing \"write\" permission", await write.DetailAsync());
    }

    [Fact]
    public async Task Read_WriteOnlyJwt_Returns403MissingRead()
    {
        var tenant = await factory.CreateTenantAsync();
        var token = NeenaFactory.Jwt(tenant.Auth0Id!, tenant.Email, ["write"]);

        var response = await factory.ClientWithBearer(token).GetAsync("/api/v1/api_keys/all");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Missing \"read\" permission", await response.DetailAsync());
    }

    [Fact]
    public async Task Request_JwtOfUnregisteredUser_Returns403NotRegisteredOutsideUsers()
    {
        var token = NeenaFactory.Jwt("auth0|" + Guid.NewGuid().ToString("N"), "new@example.com");

        var response = await factory.ClientWithBearer(token).GetAsync("/api/v1/api_keys/all");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("User is not registered; call /api/v1/users/create_if_not_exists", await response.DetailAsync());
    }
}
