using System.Net;
using Neena.Integrations.Http;

namespace Neena.UnitTests.Integrations;

public sealed class AddressPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.0.9", "loopback")]
    [InlineData("10.0.0.1", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("100.64.0.1", "carrier-grade NAT")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("250.1.2.3", "reserved")]
    [InlineData("2001::1", "Teredo")]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo")]
    [InlineData("64:ff9b:1::a00:1", "local-use NAT64")]
    [InlineData("64:ff9b:1:ffff::8.8.8.8", "local-use NAT64")]
    [InlineData("::", "unspecified")]
    [InlineData("::1", "loopback")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fd00::1", "private")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("::ffff:10.1.2.3", "private")]
    public void BlockedReason_InternalAddress_ReturnsCategory(string address, string reason)
    {
        Assert.Equal(reason, AddressPolicy.BlockedReason(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("64:ff9b::a9fe:a9fe")]
    [InlineData("2002:0a00:0001::1")]
    public void BlockedReason_IPv6EmbeddingInternalIPv4_IsBlocked(string address)
    {
        Assert.NotNull(AddressPolicy.BlockedReason(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700:4700::1111")]
    public void BlockedReason_PublicAddress_ReturnsNull(string address)
    {
        Assert.Null(AddressPolicy.BlockedReason(IPAddress.Parse(address)));
    }

    [Fact]
    public async Task ResolveAllowedAsync_AllowedNetwork_PermitsAddress()
    {
        var policy = AddressPolicy.From(new HttpIntegrationOptions { AllowedNetworks = ["10.0.0.0/8"] });

        var addresses = await policy.ResolveAllowedAsync("10.1.2.3", CancellationToken.None);

        Assert.Equal([IPAddress.Parse("10.1.2.3")], addresses);
    }

    [Theory]
    [InlineData("2001:db8::1")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("64:ff9b::808:808")]
    public void BlockedReason_PublicNeighboursOfBlockedPrefixes_ReturnsNull(string address)
    {
        Assert.Null(AddressPolicy.BlockedReason(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("::", "unspecified")]
    [InlineData("::ffff:0.0.0.0", "unspecified")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("239.255.255.250", "multicast")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("64:ff9b::e000:1", "multicast")]
    public async Task ResolveAllowedAsync_NeverValidAddressDespiteAllowLists_IsRefused(string address, string reason)
    {
        var byNetwork = AddressPolicy.From(new HttpIntegrationOptions { AllowedNetworks = ["0.0.0.0/0", "::/0"] });
        var byHost = AddressPolicy.From(new HttpIntegrationOptions { AllowedHosts = [address] });

        foreach (var policy in new[] { byNetwork, byHost })
        {
            var ex = await Assert.ThrowsAsync<Neena.Integrations.TaskFailedException>(() => policy.ResolveAllowedAsync(address, CancellationToken.None));
            Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ResolveAllowedAsync_AllowedHostWithPrivateAddress_PermitsIt()
    {
        var policy = AddressPolicy.From(new HttpIntegrationOptions { AllowedHosts = ["10.9.8.7"] });

        var addresses = await policy.ResolveAllowedAsync("10.9.8.7", CancellationToken.None);

        Assert.Equal([IPAddress.Parse("10.9.8.7")], addresses);
    }

    [Fact]
    public void From_InvalidNetwork_ThrowsTaskFailedNamingEntry()
    {
        var ex = Assert.Throws<Neena.Integrations.TaskFailedException>(
            () => AddressPolicy.From(new HttpIntegrationOptions { AllowedNetworks = ["not-a-cidr"] }));

        Assert.Contains("not-a-cidr", ex.Message, StringComparison.Ordinal);
    }
}
