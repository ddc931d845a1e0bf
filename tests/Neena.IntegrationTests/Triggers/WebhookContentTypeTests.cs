using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Neena.Api.Services.Triggers;
using Neena.IntegrationTests.Infrastructure;
using Neena.StandIns;
using static Neena.IntegrationTests.Triggers.WebhookTestSupport;

namespace Neena.IntegrationTests.Triggers;

/// <summary>
/// Signatures are checked on the raw bytes whatever the content type says (model binding must not read a form first):
/// a JSON delivery labelled as a form (what <c>curl --data-binary</c> sends) is received on every platform; a correctly
/// signed body that is form data or multipart is 415, with nothing stored.
/// </summary>
public sealed class WebhookContentTypeTests(ReceiverOnlyFactory factory) : IClassFixture<ReceiverOnlyFactory>
{
    private const string Secret = "whsec_content_types";

    private sealed record Targets(TestTenant Tenant, Func<byte[], HttpRequestMessage>[] Signers);

    private async Task<Targets> TargetsAsync()
    {
        var (client, tenant) = await Engine.EngineTestSupport.ClientAsync(factory);
        var app = factory.Slack.AddApp();
        await StoreCredentialAsync(client, "slack", app.CredentialFields());
        var account = factory.Trello.AddAccount();
        await StoreCredentialAsync(client, "trello", account.CredentialFields());
        var neena = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", "Handle the order <{payload}>", signingSecret: Secret);
        var slack = await factory.CreateOperationAsync(tenant, "slack", "Message Posted", "Answer <{user}>: {{text}}");
        var trello = await factory.CreateOperationAsync(tenant, "trello", "Comment Added", "Reply to <{member}>: {{text}}");
        return new Targets(tenant, [
            b => PlatformWebhooks.Neena(Path(neena), b, Secret),
            b => PlatformWebhooks.Slack(Path(slack), b, app.SigningSecret),
            b => PlatformWebhooks.Trello(Path(trello), b, account.AppSecret, WebhookUrl(trello)),
        ]);
    }

    private static byte[][] Events()
    {
        var slack = PlatformWebhooks.SlackEventCallback("Ev" + Guid.NewGuid().ToString("N"), PlatformWebhooks.SlackMessage("C1", "U1", "hello", "1733307330.000100"));
        var trello = new JsonObject
        {
            ["action"] = PlatformWebhooks.TrelloComment(Guid.NewGuid().ToString("N")[..24], "card1", "Card", "hi", "ada"),
            ["model"] = new JsonObject(),
        };
        return [Encoding.UTF8.GetBytes("{\"order_id\": \"A-1\"}"), Encoding.UTF8.GetBytes(slack.ToJsonString()), Encoding.UTF8.GetBytes(trello.ToJsonString())];
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("text/plain; charset=utf-8")]
    public async Task SignedJsonDelivery_WithAnotherContentType_IsVerifiedOnTheRawBytes(string contentType)
    {
        var targets = await TargetsAsync();
        var events = Events();

        for (var i = 0; i < targets.Signers.Length; i++)
        {
            var request = targets.Signers[i](events[i]);
            request.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            var response = await factory.CreateClient().SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"target {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        Assert.Equal(3, (await factory.RowsAsync(targets.Tenant)).TriggerRuns);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded", "order_id=A-1&total=129.5")]
    [InlineData("multipart/form-data; boundary=XyZ", "--XyZ\r\nContent-Disposition: form-data; name=\"order_id\"\r\n\r\nA-1\r\n--XyZ--\r\n")]
    [InlineData("multipart/form-data", "{\"order_id\": \"A-1\"}")]
    [InlineData("multipart/mixed; boundary=\"\"", "")]
    public async Task SignedFormOrMultipartBody_Answers415_AndStoresNothing(string contentType, string body)
    {
        var targets = await TargetsAsync();

        foreach (var sign in targets.Signers)
        {
            var request = sign(Encoding.UTF8.GetBytes(body));
            request.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            var response = await factory.CreateClient().SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{request.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal(WebhookReceiver.UnsupportedMediaType, await response.DetailAsync());
        }
        Assert.Equal(0, (await factory.RowsAsync(targets.Tenant)).TriggerRuns);
    }

    [Fact]
    public async Task UnsignedFormBody_IsStillRefusedAsUnsigned()
    {
        var targets = await TargetsAsync();
        var request = targets.Signers[0](Encoding.UTF8.GetBytes("order_id=A-1"));
        request.Headers.Remove("X-Neena-Signature");
        request.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=XyZ");

        var response = await factory.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
