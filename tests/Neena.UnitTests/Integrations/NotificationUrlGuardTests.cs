using Microsoft.Extensions.Options;
using Neena.Integrations.Http;
using Neena.Integrations.Notifications;

namespace Neena.UnitTests.Integrations;

/// <summary>A subscription URL passes the HTTP task's address policy, with the same Integrations:Http allow-lists.</summary>
public sealed class NotificationUrlGuardTests
{
    [Theory]
    [InlineData("http://127.0.0.1:5000/hook", "loopback")]
    [InlineData("https://10.1.2.3/hook", "private")]
    [InlineData("http://169.254.169.254/latest/meta-data", "link-local")]
    [InlineData("http://[::1]/hook", "loopback")]
    [InlineData("ftp://93.184.216.34/hook", "http or https")]
    [InlineData("/relative/hook", "http or https")]
    [InlineData("https://user:pw@93.184.216.34/hook", "user name or password")]
    public async Task AnAddressTheHttpTaskMayNotReach_IsRefused(string url, string reason)
    {
        var problem = await Guard(new HttpIntegrationOptions()).ProblemAsync(url, CancellationToken.None);

        Assert.NotNull(problem);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APublicAddress_IsAccepted() =>
        Assert.Null(await Guard(new HttpIntegrationOptions()).ProblemAsync("https://93.184.216.34/hook?x=1", CancellationToken.None));

    [Fact]
    public async Task APrivateAddress_IsAccepted_WhenTheHttpTaskSettingsAllowIt()
    {
        var guard = Guard(new HttpIntegrationOptions { AllowedNetworks = ["127.0.0.0/8"] });

        Assert.Null(await guard.ProblemAsync("http://127.0.0.1:5000/hook", CancellationToken.None));
        Assert.NotNull(await guard.ProblemAsync("http://10.0.0.1/hook", CancellationToken.None));
    }

    private static NotificationUrlGuard Guard(HttpIntegrationOptions options) => new(new Fixed(options));

    private sealed class Fixed(HttpIntegrationOptions value) : IOptionsMonitor<HttpIntegrationOptions>
    {
        public HttpIntegrationOptions CurrentValue => value;

        public HttpIntegrationOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<HttpIntegrationOptions, string?> listener) => null;
    }
}
