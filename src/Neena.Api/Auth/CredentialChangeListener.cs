using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Neena.Persistence;
using Npgsql;

namespace Neena.Api.Auth;

/// <summary>
/// Keeps a dedicated connection LISTENing for <see cref="CredentialChanges"/> and applies them to the
/// <see cref="PrincipalCache"/>. The cache is on only while this connection is known to be alive: lost (an error, or
/// silent past a keep-alive check), the cache is emptied and bypassed until the connection is back.
/// </summary>
internal sealed class CredentialChangeListener(
    PrincipalCache cache,
    [FromKeyedServices(PersistenceServiceCollectionExtensions.ListenerDataSource)] NpgsqlDataSource dataSource,
    IOptions<PrincipalCacheOptions> options,
    ILogger<CredentialChangeListener> logger) : BackgroundService
{
    /// <summary>The listener's <c>application_name</c>, so operators (and tests) can find its session.</summary>
    public const string ApplicationName = "neena-credential-listener";

    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
            return;
        var firstDelay = TimeSpan.FromSeconds(settings.ReconnectDelaySeconds);
        var maxDelay = TimeSpan.FromTicks(Math.Max(firstDelay.Ticks, TimeSpan.FromSeconds(30).Ticks));
        var keepAlive = TimeSpan.FromSeconds(settings.KeepAliveSeconds);
        var delay = firstDelay;
        var connectedBefore = false;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                    connection.Notification += OnNotification;
                    await using (var listen = new NpgsqlCommand($"SET application_name = '{ApplicationName}'; LISTEN {CredentialChanges.Channel}", connection))
                        await listen.ExecuteNonQueryAsync(stoppingToken);
                    cache.SetAvailable(true);
                    if (connectedBefore)
                        logger.LogInformation("Credential change listener reconnected; the principal cache is back on");
                    connectedBefore = true;
                    delay = firstDelay;

                    while (true)
                    {
                        if (!await connection.WaitAsync(keepAlive, stoppingToken))
                        {
                            cache.Sweep();
                            // A half-open TCP connection never errors by itself: ask, and give up on it after a few seconds.
                            await using var ping = new NpgsqlCommand("SELECT 1", connection) { CommandTimeout = (int)PingTimeout.TotalSeconds };
                            await ping.ExecuteScalarAsync(stoppingToken);
                        }
                    }
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or IOException or SocketException or OperationCanceledException)
                {
                    cache.SetAvailable(false);
                    logger.LogWarning(e, "Credential change listener lost its connection; every request looks its credential up until it is back (retry in {Delay} s)",
                        delay.TotalSeconds);
                    await Task.Delay(delay, stoppingToken);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, maxDelay.Ticks));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            cache.SetAvailable(false);
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (CredentialChanges.TryParse(e.Payload, out var kind, out var id) && kind != CredentialChanges.All)
            cache.Invalidate(kind, id);
        else
            cache.Clear();
    }
}
