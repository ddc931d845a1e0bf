using System.Text;
using System.Text.Json.Nodes;
using Neena.IntegrationTests.Triggers;
using Neena.StandIns;
using Xunit.Abstractions;
using static Neena.IntegrationTests.Triggers.WebhookTestSupport;

namespace Neena.IntegrationTests.Platform;

/// <summary>
/// The webhook receiver past its signature check: hostile bodies, each correctly signed for a Neena, a Slack and a Trello
/// operation, never make a 5xx; every refusal has the contract's shape and stores nothing. (<see cref="FuzzTests"/> covers
/// the documented operation with hostile parameters and headers; it cannot sign, so its deliveries end at the signature.)
/// </summary>
public sealed class WebhookFuzzTests(ReceiverOnlyFactory factory, KestrelReceiverFactory kestrel, ITestOutputHelper output)
    : IClassFixture<ReceiverOnlyFactory>, IClassFixture<KestrelReceiverFactory>
{
    /// <summary>Each body goes out labelled as JSON, as a form (<c>curl --data-binary</c>'s default) and as multipart: the signature holds for all.</summary>
    private static readonly string[] ContentTypes = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"];

    private const string Secret = "whsec_fuzz_signed";

    private static IEnumerable<(string Kind, byte[] Body)> CommonBodies()
    {
        static (string, byte[]) Text(string kind, string text) => (kind, Encoding.UTF8.GetBytes(text));
        yield return Text("empty", "");
        yield return Text("blank", "   ");
        yield return Text("null", "null");
        yield return Text("true", "true");
        yield return Text("number", "-0");
        yield return Text("huge integer", "123456789012345678901234567890123456789");
        yield return Text("string", "\"just text\"");
        yield return Text("array", "[1, \"two\", {\"three\": 3}]");
        yield return Text("unclosed", "{\"a\": ");
        yield return Text("trailing garbage", "{} {}");
        yield return Text("missing value", "{\"a\":}");
        yield return Text("escaped NUL", "{\"a\": \"x\\u0000y\"}");
        yield return Text("escaped NUL in a name", "{\"a\\u0000\": 1}");
        yield return Text("lone surrogate", "{\"a\": \"\\ud800\"}");
        yield return Text("lone surrogate name", "{\"\\udc00\": 1}");
        yield return Text("overflow", "{\"a\": 1e400}");
        yield return Text("tiny scale", "{\"a\": 1e-99999}");
        yield return Text("duplicate names", "{\"a\": 1, \"a\": 2}");
        yield return Text("deep but allowed", new string('[', 60) + new string(']', 60));
        yield return Text("too deep", new string('[', 5000) + new string(']', 5000));
        yield return Text("raw control character", "{\"a\": \"x\ty\"}");
        yield return ("byte order mark", [0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}']);
        yield return ("invalid UTF-8 in a string", [(byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)'}']);
        yield return ("invalid UTF-8 outside", [(byte)'{', 0xC0, 0x80, (byte)'}']);
        yield return ("raw NUL byte", [(byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0x00, (byte)'"', (byte)'}']);
        yield return Text("big", "{\"blob\": \"" + new string('x', 1024 * 1024) + "\"}");
    }

    private static IEnumerable<(string Kind, byte[] Body)> SlackBodies()
    {
        var longId = new string('E', 300);
        foreach (var json in new[]
        {
            """{"type": "url_verification"}""",
            """{"type": "url_verification", "challenge": 123}""",
            """{"type": "url_verification", "challenge": {"x": 1}}""",
            """{"type": "event_callback"}""",
            """{"type": "event_callback", "event_id": 5, "event": {"type": "message"}}""",
            """{"type": "event_callback", "event_id": "Ev1", "event": null}""",
            """{"type": "event_callback", "event_id": "Ev2", "event": "message"}""",
            """{"type": "event_callback", "event_id": "Ev3", "event": {"type": "message", "ts": {"a": 1}, "user": [], "text": 7}}""",
            """{"type": "event_callback", "event_id": "Ev4", "event": {"type": ["message"]}}""",
            $$$"""{"type": "event_callback", "event_id": "{{{longId}}}", "event": {"type": "message"}}""",
            """{"type": []}""",
            """{"type": "app_rate_limited", "minute_rate_limited": 1518467820}""",
        })
        {
            yield return ("slack: " + json[..Math.Min(60, json.Length)], Encoding.UTF8.GetBytes(json));
        }
    }

    private static IEnumerable<(string Kind, byte[] Body)> TrelloBodies()
    {
        var longId = new string('a', 300);
        foreach (var json in new[]
        {
            """{"action": null}""",
            """{"action": []}""",
            """{"action": "commentCard"}""",
            """{"action": {"id": 5, "type": "commentCard"}}""",
            """{"action": {"id": "A1", "type": "commentCard", "data": "x"}}""",
            """{"action": {"id": "A2", "type": "commentCard", "data": {"card": {"id": {"x": 1}}, "text": []}}}""",
            """{"action": {"id": "A3", "type": {"x": 1}}}""",
            $$$"""{"action": {"id": "{{{longId}}}", "type": "commentCard"}}""",
            """{"model": {}}""",
        })
        {
            yield return ("trello: " + json[..Math.Min(60, json.Length)], Encoding.UTF8.GetBytes(json));
        }
    }

    [Fact]
    public async Task SignedHostileBodies_NeverAnswer5xx_AndRefusalsStoreNothing()
    {
        var (client, tenant) = await Engine.EngineTestSupport.ClientAsync(factory);
        var app = factory.Slack.AddApp();
        await StoreCredentialAsync(client, "slack", app.CredentialFields());
        var account = factory.Trello.AddAccount();
        await StoreCredentialAsync(client, "trello", account.CredentialFields());
        var neena = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", "Handle the order <{payload}>", signingSecret: Secret);
        var slack = await factory.CreateOperationAsync(tenant, "slack", "Message Posted", "Answer <{user}>: {{text}}");
        var trello = await factory.CreateOperationAsync(tenant, "trello", "Comment Added", "Reply to <{member}>: {{text}}");
        var targets = new (string Name, Func<byte[], HttpRequestMessage> Sign, IEnumerable<(string, byte[])> Bodies)[]
        {
            ("neena", b => PlatformWebhooks.Neena(Path(neena), b, Secret), CommonBodies()),
            ("slack", b => PlatformWebhooks.Slack(Path(slack), b, app.SigningSecret), CommonBodies().Concat(SlackBodies())),
            ("trello", b => PlatformWebhooks.Trello(Path(trello), b, account.AppSecret, WebhookUrl(trello)), CommonBodies().Concat(TrelloBodies())),
        };
        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();

        foreach (var (name, sign, bodies) in targets)
        {
            foreach (var ((kind, body), contentType) in bodies.SelectMany(b => ContentTypes.Select(c => (b, c))))
            {
                var before = (await factory.RowsAsync(tenant)).TriggerRuns;
                var request = sign(body);
                request.Content!.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
                var response = await factory.CreateClient().SendAsync(request);
                var status = (int)response.StatusCode;
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                var text = await response.Content.ReadAsStringAsync();
                var label = $"{name} ← {kind} as {contentType}: {status} {(text.Length > 200 ? text[..200] : text)}";
                if (status >= 500)
                {
                    failures.Add(label);
                    continue;
                }
                if (status >= 400)
                {
                    var json = TryParse(text);
                    if (json?["detail"] is null && json?["errors"] is null)
                        failures.Add(label + " (not the contract's error shape)");
                    if ((await factory.RowsAsync(tenant)).TriggerRuns != before)
                        failures.Add(label + " (refused, yet a trigger run was stored)");
                }
                if (status == 401)
                    failures.Add(label + " (a correctly signed body was refused as unsigned)");
                if (contentType.StartsWith("multipart/", StringComparison.Ordinal) && status is not (401 or 413 or 415))
                    failures.Add(label + " (a multipart body is not a delivery: 415 expected)");
                if (status == 202 && name == "neena")
                {
                    // The captured delivery replayed under another delivery id and under none: the first one's trigger run.
                    foreach (var deliveryId in new[] { "replayed", null })
                    {
                        var replay = Triggers.WebhookReplayTests.Copy(request, body, deliveryId, replaceDeliveryId: true);
                        replay.Content!.Headers.ContentType = request.Content.Headers.ContentType;
                        var again = await factory.CreateClient().SendAsync(replay);
                        if (again.StatusCode != System.Net.HttpStatusCode.OK || (await again.Content.ReadAsStringAsync()).Contains("\"received\"", StringComparison.Ordinal))
                            failures.Add(label + $" (replayed with delivery id {deliveryId ?? "none"}: {(int)again.StatusCode}, not the first one's duplicate)");
                    }
                }
            }
        }

        output.WriteLine("answers: " + string.Join(", ", statuses.Select(s => $"{s.Key} × {s.Value}")));
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    /// <summary>
    /// Signed bodies around the 1 MiB limit sent chunked through Kestrel: the limit counts the body's bytes, not the chunk
    /// framing, so a body within it is received however it is chunked, and one byte more is a 413 with nothing stored.
    /// </summary>
    [Theory]
    [InlineData(1_048_000, 4096, 202)]
    [InlineData(1_048_576, 4096, 202)]
    [InlineData(1_048_576, 100, 202)]
    [InlineData(1_048_577, 4096, 413)]
    public async Task SignedChunkedBodies_AtTheLimit_CountBodyBytesOnly(int size, int chunkSize, int expected)
    {
        var tenant = await kestrel.CreateTenantAsync();
        var operation = await kestrel.CreateOperationAsync(tenant, "core", "Incoming Webhook", "Handle the order <{payload}>", signingSecret: Secret);
        const string opening = "{\"blob\": \"";
        var body = Encoding.UTF8.GetBytes(opening + new string('x', size - opening.Length - 2) + "\"}");
        var signed = PlatformWebhooks.Neena(Path(operation), body, Secret);
        var headers = signed.Headers.Select(h => KeyValuePair.Create(h.Key, string.Join(",", h.Value))).Append(KeyValuePair.Create("Content-Type", "application/json"));

        var (status, text) = await Infrastructure.ChunkedRequests.PostAsync(kestrel.Address, Path(operation), headers, body, chunkSize);

        Assert.True(status == expected, $"{size} bytes in {chunkSize}-byte chunks: {(text.Length > 300 ? text[..300] : text)}");
        Assert.Equal(expected == 202 ? 1 : 0, (await kestrel.RowsAsync(tenant)).TriggerRuns);
    }

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
