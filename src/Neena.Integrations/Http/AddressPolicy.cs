using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Neena.Integrations.Http;

/// <summary>
/// Decides which IP addresses the HTTP task may connect to. Flows are written by users, so without this a flow
/// could reach cloud metadata endpoints, the database or other services on the private network (SSRF).
/// </summary>
internal sealed class AddressPolicy
{
    // Never a destination, whatever an allow-list says: no host can be reached at these. On Linux a connection to
    // 0.0.0.0 or :: reaches this machine, so an allow-list such as 0.0.0.0/0 must not turn them into loopback.
    private static readonly (IPNetwork Network, string Reason)[] NeverAllowed =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "unspecified"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("255.255.255.255/32"), "broadcast"),
        (IPNetwork.Parse("::/128"), "unspecified"),
        (IPNetwork.Parse("ff00::/8"), "multicast"),
    ];

    private static readonly (IPNetwork Network, string Reason)[] BlockedIPv4 =
    [
        .. NeverAllowed.Where(b => b.Network.BaseAddress.AddressFamily == AddressFamily.InterNetwork),
        (IPNetwork.Parse("10.0.0.0/8"), "private"),
        (IPNetwork.Parse("100.64.0.0/10"), "carrier-grade NAT"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local"),
        (IPNetwork.Parse("172.16.0.0/12"), "private"),
        (IPNetwork.Parse("192.0.0.0/24"), "reserved"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("198.18.0.0/15"), "reserved"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved"),
    ];

    private static readonly (IPNetwork Network, string Reason)[] BlockedIPv6 =
    [
        .. NeverAllowed.Where(b => b.Network.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6),
        (IPNetwork.Parse("::1/128"), "loopback"),
        (IPNetwork.Parse("::/96"), "IPv4-compatible"),
        (IPNetwork.Parse("100::/64"), "discard-only"),
        // Teredo tunnels to an IPv4 server and client the address only encodes (the client obfuscated): the real
        // destination cannot be vetted, so the whole prefix is refused.
        (IPNetwork.Parse("2001::/32"), "Teredo"),
        // Local-use NAT64 (RFC 8215): translated by the operator's own gateway into whatever IPv4 network it serves.
        (IPNetwork.Parse("64:ff9b:1::/48"), "local-use NAT64"),
        (IPNetwork.Parse("fc00::/7"), "private"),
        (IPNetwork.Parse("fe80::/10"), "link-local"),
        (IPNetwork.Parse("fec0::/10"), "site-local"),
    ];

    // Prefixes that embed an IPv4 address the traffic is really headed for; the embedded address decides.
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    private readonly HashSet<string> _allowedHosts;
    private readonly IPNetwork[] _allowedNetworks;

    private AddressPolicy(IEnumerable<string> allowedHosts, IPNetwork[] allowedNetworks)
    {
        _allowedHosts = new HashSet<string>(allowedHosts.Select(NormalizeHost), StringComparer.OrdinalIgnoreCase);
        _allowedNetworks = allowedNetworks;
    }

    public static AddressPolicy Default { get; } = new([], []);

    /// <exception cref="TaskFailedException">An allowed network is not valid CIDR notation (a configuration error).</exception>
    public static AddressPolicy From(HttpIntegrationOptions options)
    {
        var networks = new IPNetwork[options.AllowedNetworks.Count];
        for (var i = 0; i < networks.Length; i++)
        {
            if (!IPNetwork.TryParse(options.AllowedNetworks[i].Trim(), out networks[i]))
            {
                throw new TaskFailedException(
                    $"Configuration {HttpIntegrationOptions.SectionName}:AllowedNetworks contains '{options.AllowedNetworks[i]}', which is not a CIDR range such as 10.0.0.0/8.");
            }
        }

        return new AddressPolicy(options.AllowedHosts, networks);
    }

    /// <summary>
    /// Resolves <paramref name="host"/> and returns its addresses when every one of them may be contacted. One bad
    /// address refuses the whole host: picking only the good ones would let a name with mixed records probe the
    /// inside on a later resolution.
    /// </summary>
    /// <exception cref="TaskFailedException">An address is not allowed, or the name does not exist.</exception>
    /// <exception cref="TransientTaskException">DNS failed in a way that may clear up.</exception>
    public async Task<IReadOnlyList<IPAddress>> ResolveAllowedAsync(string host, CancellationToken cancellationToken)
    {
        var name = NormalizeHost(host);
        var addresses = IPAddress.TryParse(name, out var literal) ? [literal] : await ResolveAsync(name, cancellationToken);
        var hostAllowed = _allowedHosts.Contains(name);

        foreach (var address in addresses)
        {
            var normalized = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            if (NeverAllowedReason(normalized) is { } never)
            {
                throw new TaskFailedException($"Refusing to connect to '{name}': address {normalized} is not allowed ({never}; never a destination, whatever the allow-lists say).");
            }

            var reason = BlockedReason(normalized);
            if (reason is not null && !hostAllowed && !_allowedNetworks.Any(n => n.Contains(normalized)))
            {
                throw new TaskFailedException(
                    $"Refusing to connect to '{name}': address {normalized} is not allowed ({reason}). "
                    + $"Permit it with {HttpIntegrationOptions.SectionName}:AllowedHosts or AllowedNetworks if it is meant to be reachable.");
            }
        }

        return addresses;
    }

    /// <summary>Why the address can never be a destination (no allow-list exempts it), or null.</summary>
    internal static string? NeverAllowedReason(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var reason = Array.Find(NeverAllowed, b => b.Network.Contains(address)).Reason;
        return reason ?? (EmbeddedIPv4(address) is { } embedded ? NeverAllowedReason(embedded) : null);
    }

    /// <summary>Why the address must not be contacted, or null when it is publicly routable.</summary>
    internal static string? BlockedReason(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return Array.Find(BlockedIPv4, b => b.Network.Contains(address)).Reason;
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "not an IP address";
        }

        var reason = Array.Find(BlockedIPv6, b => b.Network.Contains(address)).Reason;
        if (reason is not null)
        {
            return reason;
        }

        var embedded = EmbeddedIPv4(address);
        return embedded is not null && BlockedReason(embedded) is { } inner
            ? string.Create(CultureInfo.InvariantCulture, $"{inner} address {embedded} embedded in IPv6")
            : null;
    }

    /// <summary>The IPv4 address a NAT64 or 6to4 address carries, or null.</summary>
    private static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        var bytes = address.GetAddressBytes();
        return Nat64.Contains(address) ? new IPAddress(bytes.AsSpan(12, 4))
            : SixToFour.Contains(address) ? new IPAddress(bytes.AsSpan(2, 4))
            : null;
    }

    private static string NormalizeHost(string host)
    {
        var name = host.Trim();
        if (name.StartsWith('[') && name.EndsWith(']'))
        {
            name = name[1..^1];
        }

        // "example.com." and "example.com" are the same name; the allow-list should not depend on the trailing dot.
        return name.TrimEnd('.');
    }

    private static async Task<IPAddress[]> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(name, cancellationToken);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData)
        {
            throw new TaskFailedException($"Host '{name}' could not be resolved: {ex.Message}", ex);
        }
        catch (SocketException ex)
        {
            throw new TransientTaskException($"Resolving host '{name}' failed: {ex.Message}", ex);
        }

        return addresses.Length > 0 ? addresses : throw new TaskFailedException($"Host '{name}' has no addresses.");
    }
}
