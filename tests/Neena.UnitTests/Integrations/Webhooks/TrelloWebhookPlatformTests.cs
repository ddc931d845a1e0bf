using System.Security.Cryptography;
using System.Text;
using Neena.Integrations.Trello;
using Neena.Integrations.Webhooks;
using static Neena.UnitTests.Integrations.Webhooks.WebhookTestSupport;

namespace Neena.UnitTests.Integrations.Webhooks;

public sealed class TrelloWebhookPlatformTests
{
    private const string Url = "https://neena.example.com/webhooks/0196b0a4-6c1e-7d2f-8a3b-4c5d6e7f8a90";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"action\":{\"id\":\"1\",\"type\":\"commentCard\"},\"model\":{}}");

    private readonly TrelloWebhookPlatform _platform = new();

    [Fact]
    public void CheckTrello_SignedWithTheCallbackUrl_IsAuthentic_AndAnotherUrlIsNot()
    {
        var signature = Sign("app-secret", Body, Url);

        Assert.Null(TrelloWebhookPlatform.Check("app-secret", signature, Body, ["https://other.example.com/x", Url]));
        Assert.Equal("Invalid signature", TrelloWebhookPlatform.Check("app-secret", signature, Body, ["https://neena.example.com/webhooks/other"]));
        Assert.Equal("Invalid signature", TrelloWebhookPlatform.Check("other-secret", signature, Body, [Url]));
        Assert.Equal("Missing X-Trello-Webhook header", TrelloWebhookPlatform.Check("app-secret", null, Body, [Url]));
    }

    [Fact]
    public void Verify_ReadsTheTrelloHeader_WithTheCredentialsAppSecretAndTheCallbackUrls()
    {
        var headers = Headers(("X-Trello-Webhook", Sign("app-secret", Body, Url)));
        WebhookVerification Verify(string secret, WebhookHeaders h, string[] urls) =>
            _platform.Verify(new WebhookVerificationInput(Body, h, secret, DateTimeOffset.UtcNow, urls));

        Assert.Equal("app_secret", _platform.CredentialField);
        Assert.Null(Verify("app-secret", headers, ["https://neena.example.com/api/v1/webhooks/x", Url]).Problem);
        Assert.Equal("Invalid signature", Verify("app-secret", headers, ["https://neena.example.com/api/v1/webhooks/x"]).Problem);
        Assert.Equal("Invalid signature", Verify("other-secret", headers, [Url]).Problem);
        Assert.Equal("Missing X-Trello-Webhook header", Verify("app-secret", Headers(), [Url]).Problem);
    }

    [Theory]
    [InlineData("""{"action":{"id":"a1","type":"createCard"}}""", WebhookDeliveryKind.Event)]
    [InlineData("""{"action":{"id":"a1","type":"commentCard"}}""", WebhookDeliveryKind.Unwanted)]
    [InlineData("""{"model":{}}""", WebhookDeliveryKind.Unwanted)]
    public void Classify_TakesTheTriggersActionType(string body, WebhookDeliveryKind expected) =>
        Assert.Equal(expected, _platform.Classify(Json(body), Trigger<TrelloCardCreated>()).Kind);

    [Fact]
    public void DeliveryId_IsTheActionId()
    {
        Assert.Equal(WebhookDeliveryId.At("body.action.id", "a1"),
            _platform.DeliveryId(Json("""{"action":{"id":"a1","type":"createCard"}}"""), Headers(), WebhookVerification.Verified()));
        Assert.Equal(WebhookDeliveryId.At("body.action.id", null),
            _platform.DeliveryId(Json("""{"action":{"id":7}}"""), Headers(), WebhookVerification.Verified()));
    }

    private static string Sign(string secret, byte[] body, string url)
    {
#pragma warning disable CA5350 // Trello's scheme is HMAC-SHA1.
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(secret));
#pragma warning restore CA5350
        return Convert.ToBase64String(hmac.ComputeHash([.. body, .. Encoding.UTF8.GetBytes(url)]));
    }
}
