using Microsoft.Extensions.Options;
using Neena.Api.Auth;
using Neena.Persistence;

namespace Neena.UnitTests.Auth;

public sealed class PrincipalCacheTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private readonly ManualTime _time = new();

    private PrincipalCache Cache(int maxEntries = 100, bool available = true)
    {
        var cache = new PrincipalCache(Options.Create(new PrincipalCacheOptions { LifetimeSeconds = 60, MaxEntries = maxEntries }), _time);
        if (available)
            cache.SetAvailable(true);
        return cache;
    }

    private static CachedApiKey Key(Guid? user = null, Guid? organization = null, DateTime? expiresAt = null) =>
        new(Guid.NewGuid(), user ?? Guid.NewGuid(), organization ?? Guid.NewGuid(), "a@example.com", null, ["read"], expiresAt);

    [Fact]
    public void Add_ThenTryGet_ServesTheKey()
    {
        var cache = Cache();
        var key = Key();

        cache.AddApiKey("h", key, null, cache.Epoch);

        Assert.True(cache.TryGetApiKey("h", out var entry));
        Assert.Same(key, entry.Value);
    }

    [Fact]
    public void Add_AfterAnInvalidationDuringTheLookup_IsNotStored()
    {
        var cache = Cache();
        var epoch = cache.Epoch;

        cache.Invalidate(CredentialChanges.ApiKey, Guid.NewGuid());
        cache.AddApiKey("h", Key(), null, epoch);

        Assert.False(cache.TryGetApiKey("h", out _));
    }

    [Fact]
    public void TryGet_PastTheLifetime_Misses()
    {
        var cache = Cache();
        cache.AddApiKey("h", Key(), null, cache.Epoch);

        _time.Now += TimeSpan.FromSeconds(61);

        Assert.False(cache.TryGetApiKey("h", out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Unavailable_NeitherServesNorStores()
    {
        var cache = Cache();
        cache.AddApiKey("held", Key(), null, cache.Epoch);

        cache.SetAvailable(false);
        cache.AddApiKey("new", Key(), null, cache.Epoch);

        Assert.False(cache.TryGetApiKey("held", out _));
        Assert.False(cache.TryGetApiKey("new", out _));
        cache.SetAvailable(true);
        Assert.False(cache.TryGetApiKey("held", out _));
    }

    [Fact]
    public void Available_AgainAfterALookupStarted_DropsWhatThatLookupRead()
    {
        var cache = Cache(available: false);
        var epoch = cache.Epoch;

        cache.SetAvailable(true);
        cache.AddApiKey("h", Key(), null, epoch);

        Assert.False(cache.TryGetApiKey("h", out _));
    }

    [Fact]
    public void Invalidate_User_RemovesTheUsersKeysAndJwtSubjectOnly()
    {
        var cache = Cache();
        var user = Guid.NewGuid();
        cache.AddApiKey("mine", Key(user: user), null, cache.Epoch);
        cache.AddApiKey("other", Key(), null, cache.Epoch);
        cache.AddJwtUser("auth0|me", new CachedJwtUser(user, Guid.NewGuid(), "a@example.com"), cache.Epoch);

        cache.Invalidate(CredentialChanges.User, user);

        Assert.False(cache.TryGetApiKey("mine", out _));
        Assert.False(cache.TryGetJwtUser("auth0|me", out _));
        Assert.True(cache.TryGetApiKey("other", out _));
    }

    [Fact]
    public void Invalidate_Organization_RemovesEveryKeyOfIt()
    {
        var cache = Cache();
        var organization = Guid.NewGuid();
        cache.AddApiKey("a", Key(organization: organization), null, cache.Epoch);
        cache.AddApiKey("b", Key(organization: organization), null, cache.Epoch);

        cache.Invalidate(CredentialChanges.Organization, organization);

        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Add_BeyondMaxEntries_IsNotStored()
    {
        var cache = Cache(maxEntries: 2);

        foreach (var hash in new[] { "a", "b", "c" })
            cache.AddApiKey(hash, Key(), null, cache.Epoch);

        Assert.Equal(2, cache.Count);
        Assert.False(cache.TryGetApiKey("c", out _));
    }

    [Fact]
    public void TryMarkUsed_OncePerResolution()
    {
        var cache = Cache();
        var now = _time.GetUtcNow().UtcDateTime;
        cache.AddApiKey("h", Key(), now, cache.Epoch);
        Assert.True(cache.TryGetApiKey("h", out var entry));

        Assert.False(entry.TryMarkUsed(now.AddSeconds(30), TimeSpan.FromMinutes(1)));
        Assert.True(entry.TryMarkUsed(now.AddSeconds(61), TimeSpan.FromMinutes(1)));
        Assert.False(entry.TryMarkUsed(now.AddSeconds(62), TimeSpan.FromMinutes(1)));
    }

    [Theory]
    [InlineData("api_key:0193a1b2-0000-7000-8000-000000000001", "api_key")]
    [InlineData("user:0193a1b2-0000-7000-8000-000000000001", "user")]
    [InlineData("organization:0193a1b2-0000-7000-8000-000000000001", "organization")]
    [InlineData("all", "all")]
    public void CredentialChanges_TryParse_ReadsEveryPayloadTheTriggersSend(string payload, string kind)
    {
        Assert.True(CredentialChanges.TryParse(payload, out var parsed, out _));
        Assert.Equal(kind, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("flow:0193a1b2-0000-7000-8000-000000000001")]
    [InlineData("api_key:not-a-uuid")]
    public void CredentialChanges_TryParse_RefusesTheUnknown(string payload) =>
        Assert.False(CredentialChanges.TryParse(payload, out _, out _));
}
