using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Neena.Persistence;
using Npgsql;

namespace Neena.Api.RunEvents;

/// <summary>A change a notification announced: a run (<c>r</c>) or task run (<c>t</c>) and its new status; or, with no entity, "look again".</summary>
internal readonly record struct RunSignal(char Kind, Guid Entity, string Status)
{
    public static RunSignal Resync { get; } = new('?', Guid.Empty, "");

    public bool IsResync => Kind == '?';
}

/// <summary>Why a stream was not given a place.</summary>
internal enum StreamRefusal
{
    None,

    /// <summary>The caller's credential holds as many streams as it may (429).</summary>
    Credential,

    /// <summary>The caller's organization holds as many streams as it may (429).</summary>
    Organization,

    /// <summary>The instance serves as many streams as it may (503).</summary>
    Instance,
}

/// <summary>
/// The instance's listening session (<see cref="NotificationHub"/>) on <see cref="FlowRunNotifications.Events"/>, fanned out to every open stream
/// of the run a notification names; and the bounds on open streams: per instance, per organization and per credential. Streams subscribe before they read the
/// run, so no change between their read and their subscription is missed; after every (re)connection of the listener
/// each stream is told to read again, as notifications sent while nobody listened are lost.
/// </summary>
internal sealed partial class RunEventHub(
    NotificationHub hub,
    NpgsqlDataSource dataSource,
    IOptions<RunEventOptions> options,
    ILogger<RunEventHub> logger) : BackgroundService
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, List<Subscription>> _byRun = [];
    private readonly Dictionary<Guid, int> _byOrganization = [];
    private readonly Dictionary<string, int> _byCredential = new(StringComparer.Ordinal);
    private int _open;

    public int OpenStreams => Volatile.Read(ref _open);

    /// <summary>The runs read for the streams, shared by the streams of one run (see <see cref="RunReadSharing"/>).</summary>
    public RunReadSharing Reads { get; } = new();

    /// <summary>Streams the organization holds open on this instance.</summary>
    public int OpenStreamsOf(Guid organizationId)
    {
        lock (_lock)
            return _byOrganization.GetValueOrDefault(organizationId);
    }

    /// <summary>
    /// A place among the instance's streams, subscribed to one run, or why there is none. The caller's own limits
    /// (credential, then organization) are checked before the instance's, so a tenant over its share is told so (429)
    /// rather than that the server is full.
    /// </summary>
    /// <param name="credential">The credential's identity (an API key's id, a user's); never the secret itself.</param>
    public (Subscription? Subscription, StreamRefusal Refusal) TrySubscribe(Guid runId, Guid organizationId, string credential)
    {
        var limits = options.Value;
        lock (_lock)
        {
            if (_byCredential.GetValueOrDefault(credential) >= limits.MaxStreamsPerCredential)
                return (null, StreamRefusal.Credential);
            if (_byOrganization.GetValueOrDefault(organizationId) >= limits.MaxStreamsPerOrganization)
                return (null, StreamRefusal.Organization);
            if (_open >= limits.MaxStreams)
                return (null, StreamRefusal.Instance);
            _open++;
            _byOrganization[organizationId] = _byOrganization.GetValueOrDefault(organizationId) + 1;
            _byCredential[credential] = _byCredential.GetValueOrDefault(credential) + 1;
            var subscription = new Subscription(this, runId, organizationId, credential);
            if (!_byRun.TryGetValue(runId, out var list))
                _byRun[runId] = list = [];
            list.Add(subscription);
            return (subscription, StreamRefusal.None);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(
            hub.ListenAsync([FlowRunNotifications.Events], OnNotification, Broadcast, stoppingToken),
            MaintainRegistrationAsync(stoppingToken));

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        var parts = e.Payload.Split(':');
        if (parts.Length != 4 || !Guid.TryParse(parts[0], out var run) || parts[1].Length != 1 || !Guid.TryParse(parts[2], out var entity))
            return;
        Subscription[] targets;
        lock (_lock)
        {
            if (!_byRun.TryGetValue(run, out var list))
                return;
            targets = [.. list];
            // Before any stream hears of it, so that none reads again into a read begun before the change.
            Reads.Changed(run);
        }
        foreach (var target in targets)
            target.Post(new RunSignal(parts[1][0], entity, parts[3]));
    }

    private void Broadcast()
    {
        Subscription[] targets;
        lock (_lock)
        {
            targets = [.. _byRun.Values.SelectMany(l => l)];
            Reads.ChangedAll();
        }
        foreach (var target in targets)
            target.Post(RunSignal.Resync);
    }

    private void Remove(Subscription subscription)
    {
        lock (_lock)
        {
            _open--;
            Release(_byOrganization, subscription.OrganizationId);
            Release(_byCredential, subscription.Credential);
            if (_byRun.TryGetValue(subscription.RunId, out var list) && list.Remove(subscription) && list.Count == 0)
            {
                _byRun.Remove(subscription.RunId);
                Reads.Forget(subscription.RunId);
            }
        }
    }

    // Entries at zero are removed, so the counts never outgrow the callers that hold streams now.
    private static void Release<TKey>(Dictionary<TKey, int> counts, TKey key)
        where TKey : notnull
    {
        if (counts.TryGetValue(key, out var count) && count > 1)
            counts[key] = count - 1;
        else
            counts.Remove(key);
    }

    /// <summary>What one stream receives; disposing it frees its place.</summary>
    public sealed class Subscription(RunEventHub hub, Guid runId, Guid organizationId, string credential) : IDisposable
    {
        // Bounded so that a stalled client cannot grow memory: when it overflows, the stream is told to read the run again.
        private readonly Channel<RunSignal> _signals = Channel.CreateBounded<RunSignal>(new BoundedChannelOptions(256) { SingleReader = true });
        private int _disposed;
        private volatile bool _overflowed;

        public Guid RunId { get; } = runId;

        public Guid OrganizationId { get; } = organizationId;

        public string Credential { get; } = credential;

        public ChannelReader<RunSignal> Signals => _signals.Reader;

        /// <summary>True once (and resets) if signals were dropped since the last call: the run must be read afresh.</summary>
        public bool TakeOverflow()
        {
            var overflowed = _overflowed;
            _overflowed = false;
            return overflowed;
        }

        internal void Post(RunSignal signal)
        {
            if (!_signals.Writer.TryWrite(signal))
                _overflowed = true;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _signals.Writer.TryComplete();
                hub.Remove(this);
            }
        }
    }
}
