using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Neena.Integrations.Core;
using Neena.Integrations.Webhooks;
using static Neena.UnitTests.Integrations.Webhooks.WebhookTestSupport;

namespace Neena.UnitTests.Integrations.Webhooks;

public sealed class IncomingWebhookPlatformTests
{
    private const string StandardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    private readonly IncomingWebhookPlatform _platform = new();

    [Fact]
    public void CheckNeena_SignedAsDocumented_IsAuthenticInEitherHexCase()
    {
        var now = DateTimeOffset.UtcNow;
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var body = Encoding.UTF8.GetBytes("{\"order\":\"A-1042\",\"note\":\"café ☕\"}");
        var signature = NeenaSignature("whsec_secret", timestamp, body);

        Assert.Null(IncomingWebhookPlatform.CheckNeena("whsec_secret", signature, timestamp, body, now).Problem);
        Assert.Null(IncomingWebhookPlatform.CheckNeena("whsec_secret", "sha256=" + signature["sha256=".Length..].ToUpperInvariant(), timestamp, body, now).Problem);
        Assert.Equal("Invalid signature", IncomingWebhookPlatform.CheckNeena("whsec_other", signature, timestamp, body, now).Problem);
        Assert.Equal("Invalid signature", IncomingWebhookPlatform.CheckNeena("whsec_secret", signature, (now.ToUnixTimeSeconds() + 1).ToString(CultureInfo.InvariantCulture), body, now).Problem);
    }

    [Theory]
    [InlineData(-301, false)]
    [InlineData(-299, true)]
    [InlineData(299, true)]
    [InlineData(301, false)]
    public void CheckNeena_Timestamp_MustBeWithinFiveMinutesEitherWay(int offsetSeconds, bool accepted)
    {
        var now = DateTimeOffset.UtcNow;
        var timestamp = (now.ToUnixTimeSeconds() + offsetSeconds).ToString(CultureInfo.InvariantCulture);
        var body = Encoding.UTF8.GetBytes("{}");

        var problem = IncomingWebhookPlatform.CheckNeena("s", NeenaSignature("s", timestamp, body), timestamp, body, now).Problem;

        Assert.Equal(accepted, problem is null);
    }

    [Fact]
    public void CheckStandard_SignsIdTimestampAndBody_WithTheBase64KeyOfAWhsecSecret()
    {
        var now = DateTimeOffset.UtcNow;
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var body = Encoding.UTF8.GetBytes("{\"order\":\"A-1042\"}");
        var signature = StandardSignature("msg_1", timestamp, body);

        var check = IncomingWebhookPlatform.CheckStandard(StandardSecret, "msg_1", timestamp, "v1a,ignored " + signature, body, now);

        Assert.Null(check.Problem);
        Assert.Equal("msg_1", check.SignedId);
        Assert.Equal("Invalid signature", IncomingWebhookPlatform.CheckStandard(StandardSecret, "msg_2", timestamp, signature, body, now).Problem);
        Assert.Equal("Missing webhook-id header", IncomingWebhookPlatform.CheckStandard(StandardSecret, null, timestamp, signature, body, now).Problem);
        // A secret that is not whsec_ + base64 keys with its own text.
        Assert.Equal(Encoding.UTF8.GetBytes("whsec_not base64!"), IncomingWebhookPlatform.StandardKey("whsec_not base64!"));
    }

    [Fact]
    public void Verify_ChoosesTheSchemeByItsHeaders_AndKeepsTheSignatureAsTheReplayKey()
    {
        var now = DateTimeOffset.UtcNow;
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var body = Encoding.UTF8.GetBytes("{\"order\":\"A-1042\"}");
        WebhookVerification Verify(string secret, WebhookHeaders headers) =>
            _platform.Verify(new WebhookVerificationInput(body, headers, secret, now, NoUrls));

        var neena = Verify("s", Headers(("X-Neena-Signature", NeenaSignature("s", timestamp, body)), ("X-Neena-Timestamp", timestamp), ("webhook-id", "ignored")));
        var standard = Verify(StandardSecret, Headers(("webhook-id", "msg_1"), ("webhook-timestamp", timestamp), ("webhook-signature", StandardSignature("msg_1", timestamp, body))));

        Assert.Null(_platform.CredentialField);
        Assert.Null(neena.Problem);
        Assert.Null(neena.SignedId);
        Assert.NotNull(neena.Signature);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()), neena.SignedAt);
        Assert.Null(standard.Problem);
        Assert.Equal("msg_1", standard.SignedId);
        Assert.Equal("Invalid signature", Verify("other", Headers(("X-Neena-Signature", NeenaSignature("s", timestamp, body)), ("X-Neena-Timestamp", timestamp))).Problem);
        // Without Neena's signature, any Standard Webhooks header makes it a Standard Webhooks delivery.
        Assert.Equal("Missing webhook-id header", Verify("s", Headers(("webhook-timestamp", timestamp))).Problem);
        Assert.Equal("Missing X-Neena-Signature header", Verify("s", Headers()).Problem);
    }

    [Fact]
    public void Classify_AnyJsonIsAnEvent() =>
        Assert.Equal(WebhookDeliveryKind.Event, _platform.Classify(Json("[1]"), Trigger<IncomingWebhook>()).Kind);

    [Fact]
    public void DeliveryId_IsTheSignedIdElseTheDeliveryHeaderGivenOnce()
    {
        var neena = WebhookVerification.Verified([1], DateTimeOffset.UnixEpoch, signedId: null);

        Assert.Equal(WebhookDeliveryId.At("header.webhook-id", "msg_1"),
            _platform.DeliveryId(null, Headers(("X-Neena-Delivery", "d-1")), WebhookVerification.Verified([1], DateTimeOffset.UnixEpoch, "msg_1")));
        Assert.Equal(WebhookDeliveryId.At("header.X-Neena-Delivery", "d-1"), _platform.DeliveryId(null, Headers(("x-neena-delivery", "d-1")), neena));
        Assert.Equal(WebhookDeliveryId.None, _platform.DeliveryId(null, Headers(), neena));
        var twice = new WebhookHeaders(name => name == "X-Neena-Delivery" ? ["d-1", "d-2"] : null);
        Assert.Equal(WebhookDeliveryId.Refused(new WebhookInputProblem("header.X-Neena-Delivery", "give the header once")), _platform.DeliveryId(null, twice, neena));
    }

    private static string NeenaSignature(string secret, string timestamp, byte[] body)
    {
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        return "sha256=" + Convert.ToHexStringLower(hmac.ComputeHash([.. Encoding.UTF8.GetBytes(timestamp + "."), .. body]));
    }

    private static string StandardSignature(string id, string timestamp, byte[] body)
    {
        using var hmac = new HMACSHA256(Convert.FromBase64String(StandardSecret["whsec_".Length..]));
        return "v1," + Convert.ToBase64String(hmac.ComputeHash([.. Encoding.UTF8.GetBytes($"{id}.{timestamp}."), .. body]));
    }
}
