using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Neena.Integrations.Triggers;
using Neena.IntegrationTests.Infrastructure;
using Neena.StandIns;
using StandardWebhooks;
using static Neena.IntegrationTests.Triggers.WebhookTestSupport;

namespace Neena.IntegrationTests.Triggers;

/// <summary>
/// The generic receiver's replay guard and its Standard Webhooks scheme: a captured delivery sent again, with any delivery
/// id or none, is the first one's trigger run; deliveries signed by the reference Standard Webhooks library are received.
/// </summary>
public sealed class WebhookReplayTests(ReceiverOnlyFactory factory) : IClassFixture<ReceiverOnlyFactory>
{
    private const string Template = "Handle the order <{payload}>";

    [Fact]
    public async Task CapturedDelivery_SentAgainWithAnotherOrNoDeliveryId_IsProcessedOnce()
    {
        var tenant = await factory.CreateTenantAsync();
        var secret = SigningSecretProtector.NewSecret();
        var operation = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", Template, signingSecret: secret);
        var body = Encoding.UTF8.GetBytes("{\"order_id\": \"A-1042\"}");
        var captured = PlatformWebhooks.Neena(Path(operation), body, secret, deliveryId: "order-A-1042");

        var first = await factory.CreateClient().SendAsync(Copy(captured, body));
        var replays = new List<HttpResponseMessage>();
        foreach (var deliveryId in new[] { "order-A-1042", "another-id", null, "yet-another" })
            replays.Add(await factory.CreateClient().SendAsync(Copy(captured, body, deliveryId, replaceDeliveryId: true)));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var triggerRun = await TriggerRunIdAsync(first);
        foreach (var replay in replays)
        {
            Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
            var receipt = await replay.ReadJsonAsync();
            Assert.Equal("duplicate", receipt["status"]!.GetValue<string>());
            Assert.Equal(triggerRun, Guid.Parse(receipt["trigger_run_id"]!.GetValue<string>()));
        }
        Assert.Equal(1, (await factory.RowsAsync(tenant)).TriggerRuns);
    }

    [Fact]
    public async Task StandardWebhooks_SignedByTheReferenceLibrary_IsReceived_ItsIdDeduplicates_AndAnUnsignedIdIsRefused()
    {
        var tenant = await factory.CreateTenantAsync();
        // The signing secret as the server makes it, given as it is to the library (which reads a whsec_ + base64 secret).
        var secret = SigningSecretProtector.NewSecret();
        var operation = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", Template, signingSecret: secret);
        var webhook = new StandardWebhook(secret);
        var client = factory.CreateClient();
        HttpContent Signed(string id, DateTimeOffset at) => webhook.MakeHttpContent(new { order_id = "B-7" }, id, at);

        var first = await client.PostAsync(Path(operation), Signed("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", DateTimeOffset.UtcNow));
        // The sender's retry: the same id, signed again a little later.
        var retry = await client.PostAsync(Path(operation), Signed("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", DateTimeOffset.UtcNow.AddSeconds(-30)));
        // A captured delivery with its id changed: the id is signed, so the signature no longer matches.
        var forged = Signed("msg_first", DateTimeOffset.UtcNow);
        forged.Headers.Remove("webhook-id");
        forged.Headers.Add("webhook-id", "msg_forged");
        var forgedAnswer = await client.PostAsync(Path(operation), forged);
        var other = await client.PostAsync(Path(operation), Signed("msg_other", DateTimeOffset.UtcNow));

        Assert.True(first.StatusCode == HttpStatusCode.Accepted, await first.Content.ReadAsStringAsync());
        var triggerRun = await TriggerRunIdAsync(first);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(triggerRun, await TriggerRunIdAsync(retry));
        Assert.Equal(HttpStatusCode.Unauthorized, forgedAnswer.StatusCode);
        Assert.Equal("Invalid signature", await forgedAnswer.DetailAsync());
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
        Assert.Equal("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", (await factory.TriggerRunAsync(triggerRun)).DeliveryId);
        Assert.Equal(2, (await factory.RowsAsync(tenant)).TriggerRuns);
    }

    [Fact]
    public async Task SeenSignatures_AreKeptInTheDatabase_AndExpiredOnesAreDeleted()
    {
        var tenant = await factory.CreateTenantAsync();
        var secret = SigningSecretProtector.NewSecret();
        var operation = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", Template, signingSecret: secret);
        await factory.CountAsync(
            "INSERT INTO webhook_delivery_signatures (webhook_trigger_operation_id, signature, expires_at) VALUES ($1, '\\x00'::bytea, now() - interval '1 minute') RETURNING 1",
            operation);

        var delivered = await factory.CreateClient().SendAsync(PlatformWebhooks.Neena(Path(operation), "{}", secret));

        Assert.Equal(HttpStatusCode.Accepted, delivered.StatusCode);
        Assert.Equal(1, await factory.CountAsync(
            "SELECT count(*) FROM webhook_delivery_signatures WHERE webhook_trigger_operation_id = $1 AND trigger_run_id = $2 AND expires_at > now()",
            operation, await TriggerRunIdAsync(delivered)));
        Assert.Equal(0, await factory.CountAsync("SELECT count(*) FROM webhook_delivery_signatures WHERE expires_at < now()"));
    }

    /// <summary>The captured request again: the same bytes and signature headers, its delivery id kept, replaced or dropped.</summary>
    internal static HttpRequestMessage Copy(HttpRequestMessage captured, byte[] body, string? deliveryId = null, bool replaceDeliveryId = false)
    {
        var copy = new HttpRequestMessage(captured.Method, captured.RequestUri) { Content = new ByteArrayContent(body) };
        copy.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, values) in captured.Headers)
        {
            if (!(replaceDeliveryId && name == "X-Neena-Delivery"))
                copy.Headers.Add(name, values);
        }
        if (replaceDeliveryId && deliveryId is not null)
            copy.Headers.Add("X-Neena-Delivery", deliveryId);
        return copy;
    }
}
