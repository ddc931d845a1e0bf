using Microsoft.Extensions.DependencyInjection;
using Neena.Integrations;
using Neena.Integrations.Core;
using Neena.Integrations.Slack;
using Neena.Integrations.Trello;
using Neena.Integrations.Webhooks;

namespace Neena.UnitTests.Integrations.Webhooks;

public sealed class WebhookPlatformsTests
{
    [Fact]
    public void AddNeenaIntegrations_RegistersEveryPlatform_ByTheIntegrationItServes()
    {
        using var services = new ServiceCollection().AddNeenaIntegrations().BuildServiceProvider();
        var platforms = services.GetRequiredService<WebhookPlatforms>();

        Assert.IsType<SlackWebhookPlatform>(platforms.For("slack"));
        Assert.IsType<TrelloWebhookPlatform>(platforms.For("trello"));
        Assert.IsType<IncomingWebhookPlatform>(platforms.For("core"));
        // An integration without a platform of its own takes the generic scheme.
        Assert.IsType<IncomingWebhookPlatform>(platforms.For("github"));
    }

    [Fact]
    public void TwoPlatformsForOneIntegration_AreRefused() =>
        Assert.Throws<InvalidOperationException>(() => new WebhookPlatforms([new IncomingWebhookPlatform(), new SlackWebhookPlatform(), new SlackWebhookPlatform()]));
}
