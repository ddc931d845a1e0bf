using Microsoft.Extensions.Logging;
using Npgsql;

namespace Neena.Persistence;

/// <summary>
/// Keeps one dedicated connection listening on PostgreSQL channels, reconnecting with back-off, for the engine and the
/// trigger run processor alike. Notifications are only a wake-up: callers poll as well, and are told to look once after
/// every (re)connection because notifications sent while nobody listened are lost.
/// </summary>
public static class NotificationListener
{
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(30);

    /// <summary>How a listener paces itself, and what it says when it loses its connection or sits idle.</summary>
    /// <param name="KeepAlive">Silence after which the connection is pinged (a half-open TCP connection never errors by itself).</param>
    /// <param name="FirstReconnectDelay">The first wait after a lost connection; it doubles up to 30 s.</param>
    /// <param name="PingTimeout">How long a keep-alive ping may take before the connection is given up.</param>
    /// <param name="OnLost">Called each time the connection is lost, and once when listening stops.</param>
    /// <param name="OnIdle">Called at each keep-alive, before the ping.</param>
    public sealed record Settings(
        TimeSpan KeepAlive,
        TimeSpan FirstReconnectDelay,
        TimeSpan PingTimeout,
        Action? OnLost = null,
        Action? OnIdle = null)
    {
        public static Settings Default { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
    }

    /// <summary>Listens until <paramref name="cancellationToken"/> is cancelled; never throws otherwise.</summary>
    /// <param name="onListening">Called after each successful (re)connection, once <c>LISTEN</c> is in place.</param>
    public static async Task RunAsync(
        NpgsqlDataSource dataSource,
        string applicationName,
        IReadOnlyList<string> channels,
        NotificationEventHandler onNotification,
        Action onListening,
        ILogger logger,
        CancellationToken cancellationToken,
        Settings? settings = null)
    {
        settings ??= Settings.Default;
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentNullException.ThrowIfNull(onListening);
        ArgumentNullException.ThrowIfNull(logger);
        // Channel and application names are constants of the code, never input.
        var listenSql = $"SET application_name = '{applicationName}'; " + string.Concat(channels.Select(c => $"LISTEN {c}; "));
        var delay = settings.FirstReconnectDelay;
        var maxDelay = TimeSpan.FromTicks(Math.Max(delay.Ticks, MaxReconnectDelay.Ticks));
        var connectedBefore = false;
        try
        {
            await ListenAsync();
        }
        finally
        {
            settings.OnLost?.Invoke();
        }

        async Task ListenAsync()
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                    connection.Notification += onNotification;
                    await using (var listen = new NpgsqlCommand(listenSql, connection))
                    {
                        await listen.ExecuteNonQueryAsync(cancellationToken);
                    }
                    delay = settings.FirstReconnectDelay;
                    if (connectedBefore)
                        logger.LogInformation("Listener {Listener} reconnected", applicationName);
                    connectedBefore = true;
                    onListening();

                    while (true)
                    {
                        if (!await connection.WaitAsync(settings.KeepAlive, cancellationToken))
                        {
                            settings.OnIdle?.Invoke();
                            // Nothing for a while: make sure the connection is still alive (a half-open TCP connection never errors).
                            await using var ping = new NpgsqlCommand("SELECT 1", connection) { CommandTimeout = (int)Math.Ceiling(settings.PingTimeout.TotalSeconds) };
                            await ping.ExecuteScalarAsync(cancellationToken);
                        }
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException or IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                {
                    settings.OnLost?.Invoke();
                    logger.LogWarning(ex, "Listener {Listener} lost its connection; reconnecting in {Delay} s (polling covers the gap)", applicationName, delay.TotalSeconds);
                    try
                    {
                        await Task.Delay(delay, cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, maxDelay.Ticks));
                }
            }
        }
    }
}
