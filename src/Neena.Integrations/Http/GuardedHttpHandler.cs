using System.Net;
using System.Net.Sockets;

namespace Neena.Integrations.Http;

/// <summary>
/// Builds the handler behind the HTTP task. Its connect callback resolves and vets the host itself and connects to
/// the vetted address, so a DNS answer that changes between the task's own check and the connection (DNS rebinding)
/// and redirects to other hosts are both caught at the point of connecting.
/// </summary>
internal static class GuardedHttpHandler
{
    /// <summary>Carries the policy of the task run on the request, so handlers shared between runs apply the right one.</summary>
    internal static readonly HttpRequestOptionsKey<AddressPolicy> PolicyKey = new("Neena.Integrations.Http.AddressPolicy");

    private const int MaxRedirects = 5;

    internal static SocketsHttpHandler Create(Func<AddressPolicy> defaultPolicy) => new()
    {
        // A proxy would make the connection (and the DNS lookup) on our behalf, bypassing the address check.
        UseProxy = false,

        // A shared cookie jar would leak one flow's cookies into another user's requests.
        UseCookies = false,
        AllowAutoRedirect = true,
        MaxAutomaticRedirections = MaxRedirects,
        AutomaticDecompression = DecompressionMethods.All,

        // Bounded connection reuse so DNS changes are picked up, each new connection going through the check again.
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = (context, cancellationToken) => ConnectAsync(context, defaultPolicy, cancellationToken),
    };

    private static async ValueTask<Stream> ConnectAsync(
        SocketsHttpConnectionContext context,
        Func<AddressPolicy> defaultPolicy,
        CancellationToken cancellationToken)
    {
        var policy = context.InitialRequestMessage.Options.TryGetValue(PolicyKey, out var requestPolicy)
            ? requestPolicy
            : defaultPolicy();
        var endpoint = context.DnsEndPoint;
        var addresses = await policy.ResolveAllowedAsync(endpoint.Host, cancellationToken);

        SocketException? lastError = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                // Try the next address (for example IPv6 first on a host without IPv6 connectivity).
                socket.Dispose();
                lastError = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw lastError ?? new SocketException((int)SocketError.HostNotFound);
    }
}
