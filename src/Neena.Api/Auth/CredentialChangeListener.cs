using Microsoft.Extensions.Options;
using Neena.Persistence;
using Npgsql;

namespace Neena.Api.Auth;

/// <summary>
/// Hears <see cref="CredentialChanges"/> through the process's listening session (<see cref="NotificationHub"/>) and
/// applies them to the <see cref="PrincipalCache"/>. The cache is on only while that session is known to be alive: lost
/// (an error, or silent past a keep-alive check), the cache is emptied and bypassed until the session is back. The
/// session's keep-alive and reconnection delay are this cache's settings (<see cref="PrincipalCacheSetup"/>), as it is
/// the one subscriber whose correctness depends on them.
/// </summary>
internal sealed class CredentialChangeListener(
    PrincipalCache cache,
    NotificationHub hub,
    IOptions<PrincipalCacheOptions> options) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
            return Task.CompletedTask;
        return hub.ListenAsync(
            [CredentialChanges.Channel],
            OnNotification,
            onListening: () => cache.SetAvailable(true),
            stoppingToken,
            // Lost: every request looks its credential up until the connection is back.
            onLost: () => cache.SetAvailable(false),
            onIdle: cache.Sweep);
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (CredentialChanges.TryParse(e.Payload, out var kind, out var id) && kind != CredentialChanges.All)
            cache.Invalidate(kind, id);
        else
            cache.Clear();
    }
}
