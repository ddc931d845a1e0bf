using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Neena.Api.Auth;
using Neena.Domain.ApiKeys;
using Neena.IntegrationTests.Infrastructure;
using Npgsql;

namespace Neena.IntegrationTests.Identity;

/// <summary>
/// A server whose cached principals live 10 minutes: within a test, only a change notification can make it forget one.
/// </summary>
public class CachingFactory : NeenaFactory
{
    protected virtual double ReconnectDelaySeconds => 1;

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Engine:Enabled"] = "false",
        ["Auth:PrincipalCache:LifetimeSeconds"] = "600",
        ["Auth:PrincipalCache:ReconnectDelaySeconds"] = ReconnectDelaySeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public PrincipalCache Cache => Services.GetRequiredService<PrincipalCache>();

    /// <summary>Waits until the change listener listens (the cache serves nothing before).</summary>
    public async Task WaitCachingAsync()
    {
        var cache = Cache;
        for (var i = 0; i < 300 && !cache.IsAvailable; i++)
            await Task.Delay(100);
        Assert.True(cache.IsAvailable, "the credential change listener did not connect");
    }

    public bool Holds(string apiKey) => Cache.TryGetApiKey(ApiKey.Hash(apiKey), out _);
}

/// <summary>A second server on the database of <paramref name="first"/>, as a second replica would be.</summary>
public sealed class CachingReplicaFactory(NeenaFactory first) : CachingFactory
{
    public override Task InitializeAsync()
    {
        ConnectionString = first.ConnectionString;
        return Task.CompletedTask;
    }

    protected override Task DisposeResourcesAsync() => Task.CompletedTask;
}

/// <summary>Two instances on one database.</summary>
public sealed class TwoCachingInstances : IAsyncLifetime
{
    public CachingFactory A { get; } = new();

    public CachingReplicaFactory B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await A.InitializeAsync();
        B = new CachingReplicaFactory(A);
        await B.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await B.DisposeAsync();
        await ((IAsyncLifetime)A).DisposeAsync();
    }
}

public sealed class PrincipalCacheTests(TwoCachingInstances instances) : IClassFixture<TwoCachingInstances>
{
    private const string UsersV1 = "/api/v1/users/";
    private CachingFactory A => instances.A;
    private CachingFactory B => instances.B;

    [Fact]
    public async Task Revoke_OnInstanceA_KeyRefusedOnInstanceBBeforeTheBackstop()
    {
        await WaitBothCachingAsync();
        var tenant = await A.CreateTenantAsync();
        var onB = B.ClientWithApiKeyHeader(tenant.ApiKey);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync(UsersV1)).StatusCode);
        Assert.True(B.Holds(tenant.ApiKey));

        var revoked = await A.ClientWithBearer(NeenaFactory.Jwt(tenant.Auth0Id!, tenant.Email)).DeleteAsync($"/api/v1/api_keys/?id={tenant.ApiKeyId}");

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        await AssertInvalidAsync(A.ClientWithApiKeyHeader(tenant.ApiKey));
        Assert.True(await EventuallyInvalidAsync(onB), "instance B still accepts the revoked key");
        Assert.False(B.Holds(tenant.ApiKey));
    }

    [Fact]
    public async Task Revoke_KeyThatCreatedOthersOnA_EveryDescendantRefusedOnB()
    {
        await WaitBothCachingAsync();
        var tenant = await A.CreateTenantAsync();
        var child = await CreateKeyAsync(A.ClientWithBearer(tenant.ApiKey), "child");
        var grandchild = await CreateKeyAsync(A.ClientWithBearer(child), "grandchild");
        var keys = new[] { tenant.ApiKey, child, grandchild };
        foreach (var key in keys)
            Assert.Equal(HttpStatusCode.OK, (await B.ClientWithApiKeyHeader(key).GetAsync(UsersV1)).StatusCode);
        Assert.All(keys, key => Assert.True(B.Holds(key)));

        var revoked = await A.ClientWithBearer(NeenaFactory.Jwt(tenant.Auth0Id!, tenant.Email)).DeleteAsync($"/api/v1/api_keys/?id={tenant.ApiKeyId}");

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        foreach (var key in keys)
            Assert.True(await EventuallyInvalidAsync(B.ClientWithApiKeyHeader(key)), "instance B still accepts a revoked descendant");
    }

    [Fact]
    public async Task CachedKey_PastItsExpiry_RefusedWithoutALookup()
    {
        await WaitBothCachingAsync();
        var tenant = await A.CreateTenantAsync(expiresAt: DateTime.UtcNow.AddSeconds(8));
        var client = B.ClientWithApiKeyHeader(tenant.ApiKey);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(UsersV1)).StatusCode);
        Assert.True(B.Holds(tenant.ApiKey));
        // The stored expiry moves a day on without telling anyone: a lookup would now accept the key, the cache must not.
        await WithoutNotificationAsync($"UPDATE api_keys SET expires_at = now() + interval '1 day' WHERE id = '{tenant.ApiKeyId}'");

        Assert.True(await EventuallyInvalidAsync(client, TimeSpan.FromSeconds(30)), "the cached key was accepted past its expiry");
        Assert.True(B.Holds(tenant.ApiKey));
    }

    [Fact]
    public async Task PermissionChange_TakesEffectOnEveryInstance()
    {
        await WaitBothCachingAsync();
        var tenant = await A.CreateTenantAsync();
        foreach (var instance in new[] { A, B })
        {
            var created = await instance.ClientWithBearer(tenant.ApiKey).PostJsonAsync("/api/v1/api_keys/", new { name = "before" });
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
            Assert.True(instance.Holds(tenant.ApiKey));
        }

        await ExecuteAsync($"UPDATE api_keys SET permissions = ARRAY['read'] WHERE id = '{tenant.ApiKeyId}'");

        foreach (var instance in new[] { A, B })
        {
            var refused = await PollAsync(async () =>
            {
                var response = await instance.ClientWithBearer(tenant.ApiKey).PostJsonAsync("/api/v1/api_keys/", new { name = "after" });
                return response.StatusCode == HttpStatusCode.Forbidden && await response.DetailAsync() == "Missing \"write\" permission";
            });
            Assert.True(refused, "an instance kept the key's old permissions");
        }
    }

    [Fact]
    public async Task UserMovedToAnotherOrganization_JwtActsForTheNewOneOnEveryInstance()
    {
        await WaitBothCachingAsync();
        var tenant = await A.CreateTenantAsync();
        var other = await A.CreateTenantAsync();
        var token = NeenaFactory.Jwt(tenant.Auth0Id!, tenant.Email);
        foreach (var instance in new[] { A, B })
        {
            var me = await instance.ClientWithBearer(token).GetAsync(UsersV1);
            Assert.Equal(tenant.OrganizationId.ToString(), (await me.ReadJsonAsync())["organization"]!.GetValue<string>());
            Assert.True(instance.Cache.TryGetJwtUser(tenant.Auth0Id!, out _));
        }

        await ExecuteAsync($"UPDATE users SET organization_id = '{other.OrganizationId}' WHERE id = '{tenant.UserId}'");

        foreach (var instance in new[] { A, B })
        {
            var moved = await PollAsync(async () =>
            {
                var me = await instance.ClientWithBearer(token).GetAsync(UsersV1);
                return me.StatusCode == HttpStatusCode.OK && (await me.ReadJsonAsync())["organization"]!.GetValue<string>() == other.OrganizationId.ToString();
            });
            Assert.True(moved, "an instance kept the user's old organization");
        }
    }

    [Fact]
    public async Task ListenerConnectionLost_CacheEmptiedThenOnAgainOnceReconnected()
    {
        await WaitBothCachingAsync();
        var tenant = await A.CreateTenantAsync();
        foreach (var instance in new[] { A, B })
            Assert.Equal(HttpStatusCode.OK, (await instance.ClientWithApiKeyHeader(tenant.ApiKey).GetAsync(UsersV1)).StatusCode);
        await WithoutNotificationAsync($"UPDATE api_keys SET revoked_at = now() WHERE id = '{tenant.ApiKeyId}'");
        // Unannounced, the revocation is not seen: what answers is the cache.
        foreach (var instance in new[] { A, B })
            Assert.Equal(HttpStatusCode.OK, (await instance.ClientWithApiKeyHeader(tenant.ApiKey).GetAsync(UsersV1)).StatusCode);

        Assert.Equal(2, await TerminateListenersAsync());

        foreach (var instance in new[] { A, B })
            Assert.True(await EventuallyInvalidAsync(instance.ClientWithApiKeyHeader(tenant.ApiKey)), "an instance kept serving from its cache without its listener");
        await WaitBothCachingAsync();
        var fresh = await A.CreateTenantAsync();
        Assert.Equal(HttpStatusCode.OK, (await B.ClientWithApiKeyHeader(fresh.ApiKey).GetAsync(UsersV1)).StatusCode);
        Assert.True(B.Holds(fresh.ApiKey));
    }

    private async Task WaitBothCachingAsync()
    {
        await A.WaitCachingAsync();
        await B.WaitCachingAsync();
    }

    private static async Task<string> CreateKeyAsync(HttpClient client, string name)
    {
        var response = await client.PostJsonAsync("/api/v1/api_keys/", new { name });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.ReadJsonAsync())["key"]!.GetValue<string>();
    }

    private static async Task AssertInvalidAsync(HttpClient client)
    {
        var response = await client.GetAsync(UsersV1);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Invalid API Key", await response.DetailAsync());
    }

    internal static Task<bool> EventuallyInvalidAsync(HttpClient client, TimeSpan? within = null) =>
        PollAsync(async () =>
        {
            var response = await client.GetAsync(UsersV1);
            return response.StatusCode == HttpStatusCode.Forbidden && await response.DetailAsync() == "Invalid API Key";
        }, within);

    /// <summary>Asks until <paramref name="condition"/> holds, for a few seconds at most: far less than the 10-minute backstop.</summary>
    internal static async Task<bool> PollAsync(Func<Task<bool>> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
                return true;
            await Task.Delay(50);
        }
        return await condition();
    }

    private Task ExecuteAsync(string sql) => PrincipalCacheSql.ExecuteAsync(A.ConnectionString, sql);

    private Task WithoutNotificationAsync(string sql) => PrincipalCacheSql.WithoutNotificationAsync(A.ConnectionString, sql);

    private Task<int> TerminateListenersAsync() => PrincipalCacheSql.TerminateListenersAsync(A.ConnectionString);
}

/// <summary>An instance whose listener, once lost, stays away for the whole test (its first retry is 10 minutes later).</summary>
public sealed class SlowReconnectFactory : CachingFactory
{
    protected override double ReconnectDelaySeconds => 600;
}

public sealed class PrincipalCacheWithoutListenerTests(SlowReconnectFactory factory) : IClassFixture<SlowReconnectFactory>
{
    [Fact]
    public async Task ListenerConnectionLost_CacheBypassedUntilItIsBack()
    {
        await factory.WaitCachingAsync();
        var tenant = await factory.CreateTenantAsync();
        var client = factory.ClientWithApiKeyHeader(tenant.ApiKey);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/users/")).StatusCode);
        await PrincipalCacheSql.WithoutNotificationAsync(factory.ConnectionString, $"UPDATE api_keys SET revoked_at = now() WHERE id = '{tenant.ApiKeyId}'");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/users/")).StatusCode);

        Assert.Equal(1, await PrincipalCacheSql.TerminateListenersAsync(factory.ConnectionString));

        Assert.True(await PrincipalCacheTests.EventuallyInvalidAsync(client), "the cache kept serving after its listener was lost");
        Assert.False(factory.Cache.IsAvailable);
        // While the listener is away, every request is looked up: a key revoked unannounced is refused at once.
        var other = await factory.CreateTenantAsync();
        var otherClient = factory.ClientWithApiKeyHeader(other.ApiKey);
        Assert.Equal(HttpStatusCode.OK, (await otherClient.GetAsync("/api/v1/users/")).StatusCode);
        Assert.False(factory.Holds(other.ApiKey));
        await PrincipalCacheSql.WithoutNotificationAsync(factory.ConnectionString, $"UPDATE api_keys SET revoked_at = now() WHERE id = '{other.ApiKeyId}'");
        var refused = await otherClient.GetAsync("/api/v1/users/");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("Invalid API Key", await refused.DetailAsync());
    }
}

internal static class PrincipalCacheSql
{
    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs <paramref name="sql"/> with the change triggers off, in one transaction: a change no instance hears of.</summary>
    public static Task WithoutNotificationAsync(string connectionString, string sql) => ExecuteAsync(connectionString, $"""
        BEGIN;
        ALTER TABLE api_keys DISABLE TRIGGER USER;
        {sql};
        ALTER TABLE api_keys ENABLE TRIGGER USER;
        COMMIT;
        """);

    /// <summary>Ends the sessions of this database's credential change listeners, as a server restart or a network failure would.</summary>
    public static async Task<int> TerminateListenersAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()) t",
            connection);
        command.Parameters.AddWithValue(Neena.Persistence.NotificationHub.ApplicationName);
        return (int)(long)(await command.ExecuteScalarAsync())!;
    }
}
