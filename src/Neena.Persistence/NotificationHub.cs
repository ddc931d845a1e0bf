using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Neena.Persistence;

/// <summary>How the process's one listening connection paces itself.</summary>
public sealed class NotificationHubOptions
{
    /// <summary>
    /// How often subscribers are told the connection is idle-checked (<c>onIdle</c>), and how long a silent connection
    /// waits before it is pinged (a half-open TCP connection never errors by itself).
    /// </summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The first wait after a lost connection; it doubles up to 30 s (or this, when larger).</summary>
    public TimeSpan FirstReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a keep-alive ping may take before the connection is given up.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// The process's one PostgreSQL session that <c>LISTEN</c>s, on every channel Neena uses, shared by the engine, the
/// trigger run processor, the scheduler, notification delivery, live events and the principal cache.
/// </summary>
/// <remarks>
/// PostgreSQL (up to 16 at least) wakes every listening session of the database on every committed <c>NOTIFY</c>,
/// whatever channel it names, and each woken session reads the queue in a transaction of its own. Six listening
/// sessions per process turned each notifying commit into six more transactions (issue 23); one session makes it one.
/// Notifications are only a wake-up: subscribers poll as well and are told to look once after every (re)connection
/// (<c>onListening</c>), because notifications sent while nobody listened are lost. The session comes from the
/// unpooled listener data source, so no listening session ever goes back to a pool; it opens at the first
/// subscription and closes when the process's services are disposed.
/// </remarks>
public sealed class NotificationHub : IAsyncDisposable
{
    /// <summary>The session's <c>application_name</c>, so operators (and tests) can find it.</summary>
    public const string ApplicationName = "neena-listener";

    /// <summary>Every channel the session listens on; a notification on a channel nobody subscribed to is dropped.</summary>
    public static IReadOnlyList<string> Channels { get; } =
    [
        FlowRunNotifications.Approved,
        FlowRunNotifications.Cancelled,
        FlowRunNotifications.Events,
        Triggers.TriggerRunNotifications.Received,
        Triggers.ScheduleNotifications.Changed,
        Notifications.NotificationChannels.Queued,
        CredentialChanges.Channel,
    ];

    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(30);

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<NotificationHub> _logger;
    private readonly NotificationHubOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private Subscriber[] _subscribers = [];
    private bool _connected;
    private Task? _loop;

    public NotificationHub(NpgsqlDataSource listenerDataSource, ILogger<NotificationHub> logger, IOptions<NotificationHubOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _dataSource = listenerDataSource;
        _logger = logger;
        _options = options.Value;
    }

    /// <summary>
    /// Delivers notifications of <paramref name="channels"/> to <paramref name="onNotification"/> until
    /// <paramref name="cancellationToken"/> is cancelled; never throws otherwise.
    /// </summary>
    /// <param name="onListening">Called once the session listens (at once when it already does), and after every reconnection.</param>
    /// <param name="onLost">Called each time the session is lost, and once when this subscription ends.</param>
    /// <param name="onIdle">Called every <see cref="NotificationHubOptions.KeepAlive"/>, busy or not.</param>
    public async Task ListenAsync(
        IReadOnlyCollection<string> channels,
        NotificationEventHandler onNotification,
        Action onListening,
        CancellationToken cancellationToken,
        Action? onLost = null,
        Action? onIdle = null)
    {
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentNullException.ThrowIfNull(onNotification);
        ArgumentNullException.ThrowIfNull(onListening);
        if (channels.FirstOrDefault(c => !Channels.Contains(c)) is { } unknown)
            throw new ArgumentException($"The hub does not listen on {unknown}; add it to {nameof(Channels)}.", nameof(channels));
        var subscriber = new Subscriber([.. channels], onNotification, onListening, onLost, onIdle);
        bool listening;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            _subscribers = [.. _subscribers, subscriber];
            listening = _connected;
            _loop ??= Task.Run(() => RunAsync(_stop.Token));
        }
        try
        {
            if (listening)
                Invoke(subscriber.OnListening, "onListening");
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The subscriber stops listening.
        }
        finally
        {
            lock (_lock)
                _subscribers = [.. _subscribers.Where(s => s != subscriber)];
            if (onLost is not null)
                Invoke(onLost, "onLost");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_lock)
        {
            if (_stop.IsCancellationRequested)
                return;
            _stop.Cancel();
            loop = _loop;
        }
        if (loop is not null)
            await loop;
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        // Channel and application names are constants of the code, never input.
        var listenSql = $"SET application_name = '{ApplicationName}'; " + string.Concat(Channels.Select(c => $"LISTEN {c}; "));
        var delay = _options.FirstReconnectDelay;
        var maxDelay = TimeSpan.FromTicks(Math.Max(delay.Ticks, MaxReconnectDelay.Ticks));
        var connectedBefore = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += Dispatch;
                await using (var listen = new NpgsqlCommand(listenSql, connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                delay = _options.FirstReconnectDelay;
                if (connectedBefore)
                    _logger.LogInformation("Listener {Listener} reconnected", ApplicationName);
                connectedBefore = true;
                foreach (var subscriber in SetConnected(true))
                    Invoke(subscriber.OnListening, "onListening");
                await WaitLoopAsync(connection, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException or IOException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                foreach (var subscriber in SetConnected(false))
                {
                    if (subscriber.OnLost is { } lost)
                        Invoke(lost, "onLost");
                }
                _logger.LogWarning(ex, "Listener {Listener} lost its connection; reconnecting in {Delay} s (polling covers the gap)", ApplicationName, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, maxDelay.Ticks));
            }
        }
        SetConnected(false);
    }

    private async Task WaitLoopAsync(NpgsqlConnection connection, CancellationToken stoppingToken)
    {
        var keepAlive = _options.KeepAlive;
        var lastIdle = Stopwatch.GetTimestamp();
        while (true)
        {
            var remaining = keepAlive - Stopwatch.GetElapsedTime(lastIdle);
            var heard = remaining > TimeSpan.Zero && await connection.WaitAsync(remaining, stoppingToken);
            if (heard && Stopwatch.GetElapsedTime(lastIdle) < keepAlive)
                continue;
            // A busy session still tells its subscribers every keep-alive (the principal cache sweeps then); only a
            // silent one is pinged, as a notification just heard proves the connection alive.
            lastIdle = Stopwatch.GetTimestamp();
            foreach (var subscriber in Volatile.Read(ref _subscribers))
            {
                if (subscriber.OnIdle is { } idle)
                    Invoke(idle, "onIdle");
            }
            if (!heard)
            {
                await using var ping = new NpgsqlCommand("SELECT 1", connection) { CommandTimeout = (int)Math.Ceiling(_options.PingTimeout.TotalSeconds) };
                await ping.ExecuteScalarAsync(stoppingToken);
            }
        }
    }

    private Subscriber[] SetConnected(bool connected)
    {
        lock (_lock)
        {
            var changed = _connected != connected;
            _connected = connected;
            return changed || connected ? _subscribers : [];
        }
    }

    private void Dispatch(object sender, NpgsqlNotificationEventArgs e)
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            if (!subscriber.Channels.Contains(e.Channel))
                continue;
#pragma warning disable CA1031 // One subscriber's fault must not take the session (and every other subscriber's wake-ups) down.
            try
            {
                subscriber.OnNotification(sender, e);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "A subscriber of {Channel} failed to handle a notification", e.Channel);
            }
#pragma warning restore CA1031
        }
    }

    private void Invoke(Action action, string what)
    {
#pragma warning disable CA1031 // As in Dispatch: a subscriber's callback never stops the loop.
        try
        {
            action();
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "A listener subscriber's {Callback} failed", what);
        }
#pragma warning restore CA1031
    }

    private sealed record Subscriber(
        HashSet<string> Channels,
        NotificationEventHandler OnNotification,
        Action OnListening,
        Action? OnLost,
        Action? OnIdle);
}
