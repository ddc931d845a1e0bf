using System.Text;
using Microsoft.AspNetCore.Http;
using Neena.Integrations.Notifications;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace Neena.UnitTests.Integrations;

/// <summary>
/// Our notification signatures checked by the reference Standard Webhooks library (the package receivers use), so a
/// receiver built on it accepts our deliveries.
/// </summary>
public sealed class StandardWebhookSignerTests
{
    private const string Body = "{\"type\":\"run.completed\",\"timestamp\":\"2026-12-07T06:00:00Z\",\"data\":{\"id\":\"r-1\",\"name\":\"Zoë ✓\"}}";

    [Fact]
    public void OurSignature_IsVerifiedByTheReferenceLibrary()
    {
        var secret = StandardWebhookSigner.NewSecret();
        var now = DateTimeOffset.UtcNow;

        var headers = Headers(new StandardWebhookSigner(secret), "msg_01", now, Body);

        new StandardWebhook(secret).Verify(Body, headers);
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Equal(now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), headers["webhook-timestamp"].ToString());
    }

    [Fact]
    public void OurSignature_EqualsTheReferenceLibrarysSignature()
    {
        var secret = StandardWebhookSigner.NewSecret();
        var at = DateTimeOffset.FromUnixTimeSeconds(1_765_090_800);

        var ours = new StandardWebhookSigner(secret).Sign("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", at, Encoding.UTF8.GetBytes(Body));

        Assert.Equal(new StandardWebhook(secret).Sign("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", at, Body), ours);
    }

    [Theory]
    [InlineData("id")]
    [InlineData("body")]
    [InlineData("secret")]
    public void AChangedIdBodyOrSecret_IsRefusedByTheReferenceLibrary(string changed)
    {
        var secret = StandardWebhookSigner.NewSecret();
        var headers = Headers(new StandardWebhookSigner(secret), "msg_01", DateTimeOffset.UtcNow, Body);
        if (changed == "id")
            headers["webhook-id"] = "msg_02";

        var verifier = new StandardWebhook(changed == "secret" ? StandardWebhookSigner.NewSecret() : secret);

        Assert.Throws<WebhookVerificationException>(() => verifier.Verify(changed == "body" ? Body + " " : Body, headers));
    }

    [Theory]
    [InlineData("")]
    [InlineData("whsec_")]
    [InlineData("whsec_not base64!")]
    public void ASecretThatIsNotBase64_IsRefused(string secret) =>
        Assert.Throws<FormatException>(() => new StandardWebhookSigner(secret));

    private static HeaderDictionary Headers(StandardWebhookSigner signer, string id, DateTimeOffset at, string body)
    {
        var headers = new HeaderDictionary();
        foreach (var (name, value) in signer.Headers(id, at, Encoding.UTF8.GetBytes(body)))
            headers[name] = value;
        return headers;
    }
}
