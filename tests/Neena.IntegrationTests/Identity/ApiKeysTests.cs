using System.Net;
using Microsoft.EntityFrameworkCore;
using Neena.Domain.ApiKeys;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Identity;

public sealed class ApiKeysTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    [Fact]
    public async Task Lifecycle_CreateUseListRevoke_KeyStopsWorking()
    {
        var tenant = await factory.CreateTenantAsync();
        var owner = factory.ClientWithBearer(tenant.ApiKey);

        var created = await owner.PostJsonAsync("/api/v1/api_keys/", new { name = "ci", permissions = new[] { "read" }, expires_at = DateTime.UtcNow.AddDays(1) });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var body = await created.ReadJsonAsync();
        var key = body["key"]!.GetValue<string>();
        var id = body["id"]!.GetValue<string>();
        Assert.StartsWith(body["prefix"]!.GetValue<string>(), key, StringComparison.Ordinal);
        Assert.Equal(["read"], body["permissions"]!.AsArray().Select(p => p!.GetValue<string>()));

        var newKeyClient = factory.ClientWithApiKeyHeader(key);
        Assert.Equal(HttpStatusCode.OK, (await newKeyClient.GetAsync("/users/")).StatusCode);

        var list = await (await owner.GetAsync("/api/v1/api_keys/all")).ReadJsonAsync();
        var listed = list.AsArray().Select(k => k!.AsObject()).ToList();
        Assert.Equal(2, listed.Count);
        Assert.Equal(id, listed[0]["id"]!.GetValue<string>());
        Assert.All(listed, k => Assert.False(k.ContainsKey("key") || k.ContainsKey("key_hash")));

        var revoked = await owner.DeleteAsync($"/api/v1/api_keys/?id={id}");
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.NotNull((await revoked.ReadJsonAsync())["revoked_at"]!.GetValue<string>());

        var refused = await newKeyClient.GetAsync("/users/");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("Invalid API Key", await refused.DetailAsync());
    }

    [Fact]
    public async Task Create_StoresOnlyTheHash()
    {
        var tenant = await factory.CreateTenantAsync();

        var body = await (await factory.ClientWithBearer(tenant.ApiKey).PostJsonAsync("/api_keys/", new { name = "hash check" })).ReadJsonAsync();
        var key = body["key"]!.GetValue<string>();

        await using var db = factory.CreateDbContext();
        var stored = await db.ApiKeys.IgnoreQueryFilters().SingleAsync(k => k.Id == Guid.Parse(body["id"]!.GetValue<string>()));
        Assert.Equal(ApiKey.Hash(key), stored.KeyHash);
        Assert.NotEqual(key, stored.KeyHash);
        // No column anywhere holds the plaintext.
        await using var connection = new Npgsql.NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT count(*) FROM api_keys WHERE position($1 in (api_keys.*)::text) > 0", connection);
        command.Parameters.AddWithValue(key);
        Assert.Equal(0L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Create_ReadOnlyCallerAsksForWrite_Returns403()
    {
        var tenant = await factory.CreateTenantAsync();
        var token = NeenaFactory.Jwt(tenant.Auth0Id!, tenant.Email, ["write"]);

        var response = await factory.ClientWithBearer(token).PostJsonAsync("/api/v1/api_keys/", new { name = "escalate", permissions = new[] { "read", "write" } });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Missing \"read\" permission", await response.DetailAsync());
    }

    [Fact]
    public async Task Create_WithExpiringKey_ExpiresWithItByDefault()
    {
        var parentExpiry = new DateTime(2099, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        var tenant = await factory.CreateTenantAsync(expiresAt: parentExpiry);

        var response = await factory.ClientWithBearer(tenant.ApiKey).PostJsonAsync("/api/v1/api_keys/", new { name = "child" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal("2099-01-02T03:04:05.000000Z", body["expires_at"]!.GetValue<string>());
        Assert.Equal(tenant.ApiKeyId.ToString(), body["parent_key"]!.GetValue<string>());
        await using var db = factory.CreateDbContext();
        var stored = await db.ApiKeys.IgnoreQueryFilters().SingleAsync(k => k.Id == Guid.Parse(body["id"]!.GetValue<string>()));
        Assert.Equal(parentExpiry, stored.ExpiresAt);
    }

    [Fact]
    public async Task Create_WithExpiringKeyAskingToOutliveIt_Returns422AndStoresNothing()
    {
        var tenant = await factory.CreateTenantAsync(expiresAt: DateTime.UtcNow.AddDays(1));

        var response = await factory.ClientWithBearer(tenant.ApiKey).PostJsonAsync("/api/v1/api_keys/", new { name = "outlive", expires_at = DateTime.UtcNow.AddDays(2) });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(["body.expires_at"], await response.ErrorLocationsAsync());
        await using var db = factory.CreateDbContext();
        Assert.Equal(1, await db.ApiKeys.IgnoreQueryFilters().CountAsync(k => k.OrganizationId == tenant.OrganizationId));
    }

    [Fact]
    public async Task Create_WithExpiringKeyAskingForEarlierExpiry_KeepsIt()
    {
        var tenant = await factory.CreateTenantAsync(expiresAt: DateTime.UtcNow.AddDays(2));
        var earlier = new DateTime(DateTime.UtcNow.AddDays(1).Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, DateTimeKind.Utc);

        var response = await factory.ClientWithBearer(tenant.ApiKey).PostJsonAsync("/api/v1/api_keys/", new { name = "shorter", expires_at = earlier });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(earlier, (await response.ReadJsonAsync())["expires_at"]!.GetValue<DateTime>().ToUniversalTime());
    }

    [Fact]
    public async Task Create_WithWriteOnlyKey_GetsAtMostWrite()
    {
        var tenant = await factory.CreateTenantAsync(permissions: ["write"]);
        var client = factory.ClientWithBearer(tenant.ApiKey);

        var outranking = await client.PostJsonAsync("/api/v1/api_keys/", new { name = "escalate", permissions = new[] { "read", "write" } });
        var defaulted = await client.PostJsonAsync("/api/v1/api_keys/", new { name = "default" });

        Assert.Equal(HttpStatusCode.Forbidden, outranking.StatusCode);
        Assert.Equal("Missing \"read\" permission", await outranking.DetailAsync());
        Assert.Equal(HttpStatusCode.OK, defaulted.StatusCode);
        Assert.Equal(["write"], (await defaulted.ReadJsonAsync())["permissions"]!.AsArray().Select(p => p!.GetValue<string>()));
    }

    [Fact]
    public async Task Revoke_KeyThatCreatedOthers_RevokesEveryDescendantAtOnce()
    {
        var tenant = await factory.CreateTenantAsync();
        var root = factory.ClientWithBearer(tenant.ApiKey);
        var child = await CreateKeyAsync(root, "child");
        var grandchild = await CreateKeyAsync(factory.ClientWithBearer(child.Key), "grandchild");
        // A key of the same user created with a JWT is not a descendant and keeps working.
        var jwtClient = factory.ClientWithBearer(NeenaFactory.Jwt(tenant.Auth0Id!, tenant.Email));
        var unrelated = await CreateKeyAsync(jwtClient, "unrelated");

        var revoked = await factory.ClientWithBearer(unrelated.Key).DeleteAsync($"/api/v1/api_keys/?id={tenant.ApiKeyId}");

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        foreach (var key in new[] { tenant.ApiKey, child.Key, grandchild.Key })
        {
            var refused = await factory.ClientWithApiKeyHeader(key).GetAsync("/users/");
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("Invalid API Key", await refused.DetailAsync());
        }
        Assert.Equal(HttpStatusCode.OK, (await factory.ClientWithApiKeyHeader(unrelated.Key).GetAsync("/users/")).StatusCode);
        var listed = (await (await jwtClient.GetAsync("/api/v1/api_keys/all")).ReadJsonAsync()).AsArray()
            .ToDictionary(k => k!["id"]!.GetValue<string>(), k => k!.AsObject());
        Assert.NotNull(listed[child.Id]["revoked_at"]);
        Assert.NotNull(listed[grandchild.Id]["revoked_at"]);
        Assert.Null(listed[unrelated.Id]["revoked_at"]);
        Assert.Equal(child.Id, listed[grandchild.Id]["parent_key"]!.GetValue<string>());
    }

    [Fact]
    public async Task Revoke_WhileKeysAreCreatedWithIt_LeavesNoWorkingDescendant()
    {
        var tenant = await factory.CreateTenantAsync();
        var child = await CreateKeyAsync(factory.ClientWithBearer(tenant.ApiKey), "child");
        var jwtClient = factory.ClientWithBearer(NeenaFactory.Jwt(tenant.Auth0Id!, tenant.Email));

        var creations = Enumerable.Range(0, 24).Select(i =>
            factory.ClientWithBearer(i % 2 == 0 ? tenant.ApiKey : child.Key).PostJsonAsync("/api/v1/api_keys/", new { name = $"racer {i}" })).ToList();
        var revocation = jwtClient.DeleteAsync($"/api/v1/api_keys/?id={tenant.ApiKeyId}");
        var answers = await Task.WhenAll(creations);

        Assert.Equal(HttpStatusCode.OK, (await revocation).StatusCode);
        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Forbidden }));
        foreach (var created in answers.Where(a => a.StatusCode == HttpStatusCode.OK))
        {
            var key = (await created.ReadJsonAsync())["key"]!.GetValue<string>();
            Assert.Equal(HttpStatusCode.Forbidden, (await factory.ClientWithApiKeyHeader(key).GetAsync("/users/")).StatusCode);
        }
        await using var connection = new Npgsql.NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var live = new Npgsql.NpgsqlCommand("""
            WITH RECURSIVE tree AS (
                SELECT id FROM api_keys WHERE id = $1
                UNION SELECT k.id FROM api_keys k JOIN tree t ON k.parent_key_id = t.id)
            SELECT count(*) FROM api_keys WHERE id IN (SELECT id FROM tree) AND revoked_at IS NULL
            """, connection);
        live.Parameters.AddWithValue(tenant.ApiKeyId);
        Assert.Equal(0L, await live.ExecuteScalarAsync());
    }

    private static async Task<(string Id, string Key)> CreateKeyAsync(HttpClient client, string name)
    {
        var response = await client.PostJsonAsync("/api/v1/api_keys/", new { name });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        return (body["id"]!.GetValue<string>(), body["key"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_InvalidBody_Returns422PerField()
    {
        var tenant = await factory.CreateTenantAsync();

        var response = await factory.ClientWithBearer(tenant.ApiKey).PostJsonAsync("/api/v1/api_keys/", new { name = "", permissions = new[] { "admin" }, expires_at = DateTime.UtcNow.AddDays(-1) });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(["body.name", "body.permissions.0", "body.expires_at"], await response.ErrorLocationsAsync());
    }

    [Fact]
    public async Task Revoke_AnotherOrganizationsKey_Returns404AndKeepsIt()
    {
        var a = await factory.CreateTenantAsync();
        var b = await factory.CreateTenantAsync();

        var response = await factory.ClientWithBearer(b.ApiKey).DeleteAsync($"/api/v1/api_keys/?id={a.ApiKeyId}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await factory.ClientWithBearer(a.ApiKey).GetAsync("/users/")).StatusCode);
        var bList = await (await factory.ClientWithBearer(b.ApiKey).GetAsync("/api_keys/all")).ReadJsonAsync();
        Assert.DoesNotContain(bList.AsArray(), k => k!["id"]!.GetValue<string>() == a.ApiKeyId.ToString());
    }

    [Fact]
    public async Task Revoke_MissingOrBadId_Returns422()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);

        var missing = await client.DeleteAsync("/api/v1/api_keys/");
        var bad = await client.DeleteAsync("/api/v1/api_keys/?id=42");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.StatusCode);
        Assert.Equal("field required", await missing.ErrorMessageAsync("query.id"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Equal(["query.id"], await bad.ErrorLocationsAsync());
        Assert.Equal("value is not a valid uuid", await bad.ErrorMessageAsync("query.id"));
    }

    [Theory]
    [InlineData("skip=-1", "query.skip")]
    [InlineData("limit=1001", "query.limit")]
    [InlineData("limit=abc", "query.limit")]
    public async Task List_PaginationOutOfRange_Returns422(string query, string location)
    {
        var tenant = await factory.CreateTenantAsync();

        var response = await factory.ClientWithBearer(tenant.ApiKey).GetAsync($"/api/v1/api_keys/all?{query}");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal([location], await response.ErrorLocationsAsync());
    }

    [Fact]
    public async Task List_SkipAndLimit_PageNewestFirst()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithBearer(tenant.ApiKey);
        for (var i = 0; i < 3; i++)
            await client.PostJsonAsync("/api/v1/api_keys/", new { name = $"k{i}" });

        var page = await (await client.GetAsync("/api/v1/api_keys/all?skip=1&limit=2")).ReadJsonAsync();

        Assert.Equal(["k1", "k0"], page.AsArray().Select(k => k!["name"]!.GetValue<string>()));
    }
}
