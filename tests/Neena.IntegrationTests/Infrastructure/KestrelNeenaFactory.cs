using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Neena.IntegrationTests.Infrastructure;

/// <summary>The server on a real loopback port, so that Kestrel parses the bytes (the in-memory test server does not).</summary>
public sealed class KestrelNeenaFactory : NeenaFactory
{
    public KestrelNeenaFactory() => UseKestrel(0);

    public Uri Address
    {
        get
        {
            StartServer();
            return new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }
    }
}
