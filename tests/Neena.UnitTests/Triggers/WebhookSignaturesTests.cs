using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Neena.Api.Services.Triggers;

namespace Neena.UnitTests.Triggers;

public sealed class WebhookSignaturesTests
{
    // Slack's own worked example (https://api.slack.com/authentication/verifying-requests-from-slack).
    private const string SlackSecret = "8f742231b10e8888abcd99yyyzzz85a5";
    private const string SlackTimestamp = "1531420618";
    private const string SlackBody = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    private const string SlackSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    private static readonly DateTimeOffset SlackNow = DateTimeOffset.FromUnixTimeSeconds(1531420618 + 30);

    [Fact]
    public void CheckSlack_SlacksDocumentedExample_IsAuthentic() =>
        Assert.Null(WebhookSignatures.CheckSlack(SlackSecret, SlackSignature, SlackTimestamp, Encoding.UTF8.GetBytes(SlackBody), SlackNow));

    [Theory]
    [InlineData(SlackSignature + "0")]
    [InlineData("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b504")]
    [InlineData("v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")]
    [InlineData("a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")]
    public void CheckSlack_AlteredSignature_IsRefused(string signature) =>
        Assert.Equal("Invalid signature", WebhookSignatures.CheckSlack(SlackSecret, signature, SlackTimestamp, Encoding.UTF8.GetBytes(SlackBody), SlackNow));

    [Fact]
    public void CheckSlack_AlteredBody_IsRefused() =>
        Assert.Equal("Invalid signature", WebhookSignatures.CheckSlack(SlackSecret, SlackSignature, SlackTimestamp, Encoding.UTF8.GetBytes(SlackBody + "&x=1"), SlackNow));

    [Fact]
    public void CheckSlack_SignedMoreThanFiveMinutesAgo_IsRefusedAsStale()
    {
        var problem = WebhookSignatures.CheckSlack(SlackSecret, SlackSignature, SlackTimestamp, Encoding.UTF8.GetBytes(SlackBody), SlackNow.AddMinutes(5));

        Assert.Equal("X-Slack-Request-Timestamp is more than 5 minutes away from the server's time", problem);
    }

    [Theory]
    [InlineData(null, SlackTimestamp, "Missing X-Slack-Signature header")]
    [InlineData(SlackSignature, null, "Missing X-Slack-Request-Timestamp header")]
    [InlineData(SlackSignature, "1531420618.5", "X-Slack-Request-Timestamp must be a unix time in seconds")]
    [InlineData(SlackSignature, "-1531420618", "X-Slack-Request-Timestamp must be a unix time in seconds")]
    [InlineData(SlackSignature, "99999999999999999999999", "X-Slack-Request-Timestamp must be a unix time in seconds")]
    public void CheckSlack_MissingOrMalformedHeaders_SaySo(string? signature, string? timestamp, string expected) =>
        Assert.Equal(expected, WebhookSignatures.CheckSlack(SlackSecret, signature, timestamp, Encoding.UTF8.GetBytes(SlackBody), SlackNow));

    [Fact]
    public void CheckNeena_SignedAsDocumented_IsAuthenticInEitherHexCase()
    {
        var now = DateTimeOffset.UtcNow;
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var body = Encoding.UTF8.GetBytes("{\"order\":\"A-1042\",\"note\":\"café ☕\"}");
        var signature = NeenaSignature("whsec_secret", timestamp, body);

        Assert.Null(WebhookSignatures.CheckNeena("whsec_secret", signature, timestamp, body, now).Problem);
        Assert.Null(WebhookSignatures.CheckNeena("whsec_secret", "sha256=" + signature["sha256=".Length..].ToUpperInvariant(), timestamp, body, now).Problem);
        Assert.Equal("Invalid signature", WebhookSignatures.CheckNeena("whsec_other", signature, timestamp, body, now).Problem);
        Assert.Equal("Invalid signature", WebhookSignatures.CheckNeena("whsec_secret", signature, (now.ToUnixTimeSeconds() + 1).ToString(CultureInfo.InvariantCulture), body, now).Problem);
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

        var problem = WebhookSignatures.CheckNeena("s", NeenaSignature("s", timestamp, body), timestamp, body, now).Problem;

        Assert.Equal(accepted, problem is null);
    }

    [Fact]
    public void CheckStandard_SignsIdTimestampAndBody_WithTheBase64KeyOfAWhsecSecret()
    {
        var now = DateTimeOffset.UtcNow;
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var body = Encoding.UTF8.GetBytes("{\"order\":\"A-1042\"}");
        const string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        using var hmac = new HMACSHA256(Convert.FromBase64String("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
        var signature = "v1," + Convert.ToBase64String(hmac.ComputeHash([.. Encoding.UTF8.GetBytes($"msg_1.{timestamp}."), .. body]));

        var check = WebhookSignatures.CheckStandard(secret, "msg_1", timestamp, "v1a,ignored " + signature, body, now);

        Assert.Null(check.Problem);
        Assert.Equal("msg_1", check.SignedId);
        Assert.Equal("Invalid signature", WebhookSignatures.CheckStandard(secret, "msg_2", timestamp, signature, body, now).Problem);
        Assert.Equal("Missing webhook-id header", WebhookSignatures.CheckStandard(secret, null, timestamp, signature, body, now).Problem);
        // A secret that is not whsec_ + base64 keys with its own text.
        Assert.Equal(Encoding.UTF8.GetBytes("whsec_not base64!"), WebhookSignatures.StandardKey("whsec_not base64!"));
    }

    [Fact]
    public void CheckTrello_SignedWithTheCallbackUrl_IsAuthentic_AndAnotherUrlIsNot()
    {
        var body = Encoding.UTF8.GetBytes("{\"action\":{\"id\":\"1\",\"type\":\"commentCard\"},\"model\":{}}");
        const string url = "https://neena.example.com/webhooks/0196b0a4-6c1e-7d2f-8a3b-4c5d6e7f8a90";
#pragma warning disable CA5350 // Trello's scheme is HMAC-SHA1.
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes("app-secret"));
#pragma warning restore CA5350
        var signature = Convert.ToBase64String(hmac.ComputeHash([.. body, .. Encoding.UTF8.GetBytes(url)]));

        Assert.Null(WebhookSignatures.CheckTrello("app-secret", signature, body, ["https://other.example.com/x", url]));
        Assert.Equal("Invalid signature", WebhookSignatures.CheckTrello("app-secret", signature, body, ["https://neena.example.com/webhooks/other"]));
        Assert.Equal("Invalid signature", WebhookSignatures.CheckTrello("other-secret", signature, body, [url]));
        Assert.Equal("Missing X-Trello-Webhook header", WebhookSignatures.CheckTrello("app-secret", null, body, [url]));
    }

    private static string NeenaSignature(string secret, string timestamp, byte[] body)
    {
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        return "sha256=" + Convert.ToHexStringLower(hmac.ComputeHash([.. Encoding.UTF8.GetBytes(timestamp + "."), .. body]));
    }
}
