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

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
            return Task.CompletedTask;
        return NotificationListener.RunAsync(
            dataSource,
            ApplicationName,
            [CredentialChanges.Channel],
            OnNotification,
            onListening: () => cache.SetAvailable(true),
            logger,
            stoppingToken,
            new NotificationListener.Settings(
                KeepAlive: TimeSpan.FromSeconds(settings.KeepAliveSeconds),
                FirstReconnectDelay: TimeSpan.FromSeconds(settings.ReconnectDelaySeconds),
                PingTimeout: PingTimeout,
                // Lost: every request looks its credential up until the connection is back.
                OnLost: () => cache.SetAvailable(false),
                OnIdle: cache.Sweep));
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (CredentialChanges.TryParse(e.Payload, out var kind, out var id) && kind != CredentialChanges.All)
            cache.Invalidate(kind, id);
        else
            cache.Clear();
    }
}
