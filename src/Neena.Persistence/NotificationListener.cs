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
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(30);

    /// <summary>Listens until <paramref name="cancellationToken"/> is cancelled; never throws otherwise.</summary>
    /// <param name="onListening">Called after each successful (re)connection, once <c>LISTEN</c> is in place.</param>
    public static async Task RunAsync(
        NpgsqlDataSource dataSource,
        string applicationName,
        IReadOnlyList<string> channels,
        NotificationEventHandler onNotification,
        Action onListening,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentNullException.ThrowIfNull(onListening);
        ArgumentNullException.ThrowIfNull(logger);
        // Channel and application names are constants of the code, never input.
        var listenSql = $"SET application_name = '{applicationName}'; " + string.Concat(channels.Select(c => $"LISTEN {c}; "));
        var delay = TimeSpan.FromSeconds(1);
        var connectedBefore = false;
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
                delay = TimeSpan.FromSeconds(1);
                if (connectedBefore)
                    logger.LogInformation("Listener {Listener} reconnected", applicationName);
                connectedBefore = true;
                onListening();

                while (true)
                {
                    if (!await connection.WaitAsync(KeepAlive, cancellationToken))
                    {
                        // Nothing for a while: make sure the connection is still alive (a half-open TCP connection never errors).
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteScalarAsync(cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException or IOException or OperationCanceledException)
            {
                logger.LogWarning(ex, "Listener {Listener} lost its connection; reconnecting in {Delay} s (polling covers the gap)", applicationName, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxReconnectDelay.Ticks));
            }
        }
    }
}
