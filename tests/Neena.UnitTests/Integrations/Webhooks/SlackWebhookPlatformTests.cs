using System.Text;
using Neena.Integrations.Slack;
using Neena.Integrations.Webhooks;
using static Neena.UnitTests.Integrations.Webhooks.WebhookTestSupport;

namespace Neena.UnitTests.Integrations.Webhooks;

public sealed class SlackWebhookPlatformTests
{
    // Slack's own worked example (https://api.slack.com/authentication/verifying-requests-from-slack).
    private const string SlackSecret = "8f742231b10e8888abcd99yyyzzz85a5";
    private const string SlackTimestamp = "1531420618";
    private const string SlackBody = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    private const string SlackSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    private static readonly DateTimeOffset SlackNow = DateTimeOffset.FromUnixTimeSeconds(1531420618 + 30);

    private readonly SlackWebhookPlatform _platform = new();

    [Fact]
    public void CheckSlack_SlacksDocumentedExample_IsAuthentic() =>
        Assert.Null(SlackWebhookPlatform.Check(SlackSecret, SlackSignature, SlackTimestamp, Encoding.UTF8.GetBytes(SlackBody), SlackNow));

    [Theory]
    [InlineData(SlackSignature + "0")]
    [InlineData("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b504")]
    [InlineData("v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")]
    [InlineData("a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")]
    public void CheckSlack_AlteredSignature_IsRefused(string signature) =>
        Assert.Equal("Invalid signature", SlackWebhookPlatform.Check(SlackSecret, signature, SlackTimestamp, Encoding.UTF8.GetBytes(SlackBody), SlackNow));

    [Fact]
    public void CheckSlack_AlteredBody_IsRefused() =>
        Assert.Equal("Invalid signature", SlackWebhookPlatform.Check(SlackSecret, SlackSignature, SlackTimestamp, Encoding.UTF8.GetBytes(SlackBody + "&x=1"), SlackNow));

    [Fact]
    public void CheckSlack_SignedMoreThanFiveMinutesAgo_IsRefusedAsStale()
    {
        var problem = SlackWebhookPlatform.Check(SlackSecret, SlackSignature, SlackTimestamp, Encoding.UTF8.GetBytes(SlackBody), SlackNow.AddMinutes(5));

        Assert.Equal("X-Slack-Request-Timestamp is more than 5 minutes away from the server's time", problem);
    }

    [Theory]
    [InlineData(null, SlackTimestamp, "Missing X-Slack-Signature header")]
    [InlineData(SlackSignature, null, "Missing X-Slack-Request-Timestamp header")]
    [InlineData(SlackSignature, "1531420618.5", "X-Slack-Request-Timestamp must be a unix time in seconds")]
    [InlineData(SlackSignature, "-1531420618", "X-Slack-Request-Timestamp must be a unix time in seconds")]
    [InlineData(SlackSignature, "99999999999999999999999", "X-Slack-Request-Timestamp must be a unix time in seconds")]
    public void CheckSlack_MissingOrMalformedHeaders_SaySo(string? signature, string? timestamp, string expected) =>
        Assert.Equal(expected, SlackWebhookPlatform.Check(SlackSecret, signature, timestamp, Encoding.UTF8.GetBytes(SlackBody), SlackNow));

    [Fact]
    public void Verify_ReadsTheSlackHeaders_WithTheCredentialsSigningSecret()
    {
        // Header names are matched case-insensitively, as HTTP names them.
        var headers = Headers(("x-slack-signature", SlackSignature), ("X-Slack-Request-Timestamp", SlackTimestamp));
        WebhookVerification Verify(string secret, WebhookHeaders h) =>
            _platform.Verify(new WebhookVerificationInput(Encoding.UTF8.GetBytes(SlackBody), h, secret, SlackNow, NoUrls));

        Assert.Equal("signing_secret", _platform.CredentialField);
        Assert.Null(Verify(SlackSecret, headers).Problem);
        Assert.Null(Verify(SlackSecret, headers).Signature);
        Assert.Equal("Invalid signature", Verify("another secret", headers).Problem);
        Assert.Equal("Missing X-Slack-Signature header", Verify(SlackSecret, Headers(("X-Slack-Request-Timestamp", SlackTimestamp))).Problem);
    }

    [Theory]
    [InlineData("""{"type":"url_verification","challenge":"c-1"}""", WebhookDeliveryKind.Challenge)]
    [InlineData("""{"type":"url_verification"}""", WebhookDeliveryKind.Invalid)]
    [InlineData("""{"type":"app_rate_limited"}""", WebhookDeliveryKind.Ignored)]
    [InlineData("""{"type":"event_callback","event_id":"Ev1","event":{"type":"message","text":"hi"}}""", WebhookDeliveryKind.Event)]
    [InlineData("""{"type":"event_callback","event_id":"Ev1","event":{"type":"message","subtype":"message_changed"}}""", WebhookDeliveryKind.Unwanted)]
    [InlineData("""{"type":"event_callback","event_id":"Ev1","event":{"type":"message","bot_id":"B1"}}""", WebhookDeliveryKind.Unwanted)]
    [InlineData("""{"type":"event_callback","event_id":"Ev1","event":{"type":"reaction_added"}}""", WebhookDeliveryKind.Unwanted)]
    public void Classify_TakesPeoplesNewMessages_AnswersChallenges_IgnoresTheRest(string body, WebhookDeliveryKind expected)
    {
        var classification = _platform.Classify(Json(body), Trigger<SlackMessagePosted>());

        Assert.Equal(expected, classification.Kind);
        if (expected == WebhookDeliveryKind.Challenge)
            Assert.Equal("c-1", classification.Challenge);
        if (expected == WebhookDeliveryKind.Invalid)
            Assert.Equal(new WebhookInputProblem("body.challenge"), classification.Problem);
    }

    [Fact]
    public void DeliveryId_IsTheEventId()
    {
        Assert.Equal(WebhookDeliveryId.At("body.event_id", "Ev1"),
            _platform.DeliveryId(Json("""{"type":"event_callback","event_id":"Ev1"}"""), Headers(), WebhookVerification.Verified()));
        // A missing one is still looked for there: the receiver refuses the event.
        Assert.Equal(WebhookDeliveryId.At("body.event_id", null),
            _platform.DeliveryId(Json("""{"type":"event_callback"}"""), Headers(), WebhookVerification.Verified()));
    }
}
