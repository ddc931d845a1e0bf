using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Neena.Persistence;

namespace Neena.Api.Auth;

/// <summary>Settings of the principal cache (configuration section <c>Auth:PrincipalCache</c>).</summary>
public sealed class PrincipalCacheOptions
{
    public const string SectionName = "Auth:PrincipalCache";

    /// <summary>False: every request looks its credential up in the database.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The backstop: how long a principal is served from memory at most, even if no change notification came. Revocation
    /// does not wait for it (notifications are immediate); it bounds what a notification lost in an unforeseen way could cost.
    /// </summary>
    public double LifetimeSeconds { get; set; } = 60;

    /// <summary>At most this many credentials (API keys and JWT subjects each) are held; beyond it, the next ones are looked up each time.</summary>
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>
    /// First wait before the instance's listening session reconnects (doubling up to 30 s, or this when larger); the cache
    /// is off meanwhile. The session is shared (<see cref="NotificationHub"/>): this paces its reconnection for everyone.
    /// </summary>
    public double ReconnectDelaySeconds { get; set; } = 1;

    /// <summary>The instance's silent listening session is checked this often; a dead one found this way turns the cache off.</summary>
    public double KeepAliveSeconds { get; set; } = 10;

    public bool IsValid() => LifetimeSeconds > 0 && MaxEntries >= 0 && ReconnectDelaySeconds > 0 && KeepAliveSeconds > 0;
}

public static class PrincipalCacheSetup
{
    /// <summary>The principal cache and its change listener; the batched writer of API key use is a background worker.</summary>
    public static IServiceCollection AddPrincipalCache(this IServiceCollection services)
    {
        services.AddOptions<PrincipalCacheOptions>()
            .BindConfiguration(PrincipalCacheOptions.SectionName)
            .Validate(o => o.IsValid(), "Invalid Auth:PrincipalCache settings: LifetimeSeconds, ReconnectDelaySeconds and KeepAliveSeconds must be positive, MaxEntries at least 0.")
            .ValidateOnStart();
        services.AddOptions<NotificationHubOptions>().Configure<IOptions<PrincipalCacheOptions>>((hub, cache) =>
        {
            hub.KeepAlive = TimeSpan.FromSeconds(cache.Value.KeepAliveSeconds);
            hub.FirstReconnectDelay = TimeSpan.FromSeconds(cache.Value.ReconnectDelaySeconds);
        });
        services.AddSingleton<PrincipalCache>();
        services.AddHostedService<CredentialChangeListener>();
        return services;
    }
}

/// <summary>What an API key authenticates as, as read from the database.</summary>
public sealed record CachedApiKey(
    Guid KeyId, Guid UserId, Guid OrganizationId, string Email, string? Auth0Id, IReadOnlyList<string> Permissions, DateTime? ExpiresAt);

/// <summary>The registered user behind a JWT subject.</summary>
public sealed record CachedJwtUser(Guid UserId, Guid OrganizationId, string Email);

/// <summary>
/// Principals by credential (SHA-256 of an API key; a JWT's subject), so that authenticating is no query per request.
/// Correctness rests on three rules:
/// <list type="bullet">
/// <item>Only credentials that exist and are usable are held (an unknown key costs a lookup, never memory), at most
/// <see cref="PrincipalCacheOptions.MaxEntries"/> of each kind, each for at most the backstop lifetime; an API key's
/// expiry is checked on every use.</item>
/// <item>Every change the database announces (<see cref="CredentialChanges"/>) removes what it touches, and a lookup that
/// was in flight while anything was removed is not stored (the invalidation <see cref="Epoch"/>): it may have read the
/// row before the change committed.</item>
/// <item>Nothing is served or stored while the listener is not connected (<see cref="IsAvailable"/>): a change made
/// then would go unheard. Coming back, everything held before is forgotten.</item>
/// </list>
/// </summary>
public sealed class PrincipalCache(IOptions<PrincipalCacheOptions> options, TimeProvider time)
{
    private readonly Table<CachedApiKey> _apiKeys = new();
    private readonly Table<CachedJwtUser> _jwtUsers = new();
    private readonly TimeSpan _lifetime = TimeSpan.FromSeconds(options.Value.LifetimeSeconds);
    private readonly int _maxEntries = options.Value.MaxEntries;
    private long _epoch;
    private volatile bool _available;

    /// <summary>True while change notifications are being received; the cache neither serves nor stores otherwise.</summary>
    public bool IsAvailable => _available;

    /// <summary>Read before a lookup and handed to the Add method afterwards: changed means something was invalidated meanwhile.</summary>
    public long Epoch => Interlocked.Read(ref _epoch);

    public int Count => _apiKeys.Count + _jwtUsers.Count;

    public bool TryGetApiKey(string keyHash, out Entry<CachedApiKey> entry) => TryGet(_apiKeys, keyHash, out entry);

    public bool TryGetJwtUser(string subject, out Entry<CachedJwtUser> entry) => TryGet(_jwtUsers, subject, out entry);

    /// <param name="lastUsedAt">When the key's use was last recorded, so that the next record is due a resolution later.</param>
    public void AddApiKey(string keyHash, CachedApiKey key, DateTime? lastUsedAt, long epochBeforeLookup) =>
        Add(_apiKeys, keyHash, new Entry<CachedApiKey>(key, Now() + _lifetime, key.KeyId, key.UserId, key.OrganizationId, lastUsedAt), epochBeforeLookup);

    public void AddJwtUser(string subject, CachedJwtUser user, long epochBeforeLookup) =>
        Add(_jwtUsers, subject, new Entry<CachedJwtUser>(user, Now() + _lifetime, null, user.UserId, user.OrganizationId, null), epochBeforeLookup);

    /// <summary>Forgets what a change notification (or this instance's own write) names; an unknown kind forgets everything.</summary>
    public void Invalidate(string kind, Guid id)
    {
        Interlocked.Increment(ref _epoch);
        Func<IEntry, bool> touched = kind switch
        {
            CredentialChanges.ApiKey => e => e.KeyId == id,
            CredentialChanges.User => e => e.UserId == id,
            CredentialChanges.Organization => e => e.OrganizationId == id,
            _ => _ => true,
        };
        _apiKeys.RemoveWhere(touched);
        _jwtUsers.RemoveWhere(touched);
    }

    public void Clear()
    {
        Interlocked.Increment(ref _epoch);
        _apiKeys.Clear();
        _jwtUsers.Clear();
    }

    /// <summary>Called by the change listener: on when it listens, off (and emptied) when its connection is lost.</summary>
    public void SetAvailable(bool available)
    {
        if (!available)
            _available = false;
        // Off: what is held may miss changes from now on. On: what a lookup read before LISTEN may already be stale.
        Clear();
        if (available)
            _available = true;
    }

    /// <summary>Drops entries past their lifetime that nobody asked for again.</summary>
    public void Sweep()
    {
        var now = Now();
        _apiKeys.RemoveWhere(e => e.StaleAt <= now);
        _jwtUsers.RemoveWhere(e => e.StaleAt <= now);
    }

    private bool TryGet<T>(Table<T> table, string key, out Entry<T> entry) where T : class
    {
        if (!_available || !table.TryGetValue(key, out entry!))
        {
            entry = null!;
            return false;
        }
        if (entry.StaleAt <= Now())
        {
            table.TryRemove(new KeyValuePair<string, Entry<T>>(key, entry));
            entry = null!;
            return false;
        }
        return true;
    }

    private void Add<T>(Table<T> table, string key, Entry<T> entry, long epochBeforeLookup) where T : class
    {
        if (!_available || Epoch != epochBeforeLookup || table.Count >= _maxEntries)
            return;
        table[key] = entry;
        // An invalidation that ran between the check above and the insert did not see this entry: undo it.
        if (!_available || Epoch != epochBeforeLookup)
            table.TryRemove(new KeyValuePair<string, Entry<T>>(key, entry));
    }

    private DateTime Now() => time.GetUtcNow().UtcDateTime;

    public interface IEntry
    {
        Guid? KeyId { get; }
        Guid UserId { get; }
        Guid OrganizationId { get; }
        DateTime StaleAt { get; }
    }

    public sealed class Entry<T>(T value, DateTime staleAt, Guid? keyId, Guid userId, Guid organizationId, DateTime? lastUsedAt) : IEntry
    {
        private long _lastUsedTicks = lastUsedAt?.Ticks ?? 0;

        public T Value { get; } = value;
        public DateTime StaleAt { get; } = staleAt;
        public Guid? KeyId { get; } = keyId;
        public Guid UserId { get; } = userId;
        public Guid OrganizationId { get; } = organizationId;

        /// <summary>True for exactly one caller once <paramref name="resolution"/> has passed since the last recorded use.</summary>
        public bool TryMarkUsed(DateTime now, TimeSpan resolution)
        {
            var last = Interlocked.Read(ref _lastUsedTicks);
            return now.Ticks - last > resolution.Ticks && Interlocked.CompareExchange(ref _lastUsedTicks, now.Ticks, last) == last;
        }
    }

    private sealed class Table<T> : ConcurrentDictionary<string, Entry<T>>
    {
        public Table()
            : base(StringComparer.Ordinal)
        {
        }

        public void RemoveWhere(Func<IEntry, bool> predicate)
        {
            foreach (var pair in this)
            {
                if (predicate(pair.Value))
                    TryRemove(pair);
            }
        }
    }
}
