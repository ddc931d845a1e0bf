using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Neena.Bench;
using Neena.Harness;

/// <summary>
/// Notification deliveries from the outbox (issue 23, item 5): many <c>ping</c> events queued through
/// <c>POST /notification_subscriptions/test</c> (each written to the outbox like any event), delivered to a receiver in this
/// process that checks each Standard Webhooks signature and counts each <c>webhook-id</c>. Measured: deliveries per second,
/// the lag from a ping's answer to its delivery, and that each was delivered once. The servers deliver with the default
/// <c>Notifications:MaxPerOrganization</c> (4 in flight per organization, across instances), which bounds the figure.
/// </summary>
internal sealed partial class Benchmark
{
    private sealed class Receiver(byte[] key)
    {
        public readonly ConcurrentDictionary<string, int> Seen = new(StringComparer.Ordinal);
        public readonly ConcurrentDictionary<string, long> FirstSeenTicks = new(StringComparer.Ordinal);
        public int BadSignatures;

        public async Task<IResult> ReceiveAsync(HttpRequest request)
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            var now = Stopwatch.GetTimestamp();
            var id = request.Headers["webhook-id"].ToString();
            var timestamp = request.Headers["webhook-timestamp"].ToString();
            var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(buffer.ToArray()).ToArray();
            var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
            if (!request.Headers["webhook-signature"].ToString().Split(' ').Contains(expected, StringComparer.Ordinal))
                Interlocked.Increment(ref BadSignatures);
            Seen.AddOrUpdate(id, 1, (_, n) => n + 1);
            FirstSeenTicks.TryAdd(id, now);
            return Results.NoContent();
        }
    }

    private async Task NotificationsAsync()
    {
        var json = new JsonObject();
        _json["notifications"] = json;
        var count = options.Quick ? 300 : 2000;
        var perOrganization = options.ServerEnvironment.GetValueOrDefault("Notifications__MaxPerOrganization") ?? "4 (the default)";
        _markdown.Add(NeenaClient.Invariant($"\n## Notifications: {count} `ping` events delivered from the outbox to a local receiver\n"));
        _markdown.Add($"Notifications:MaxPerOrganization = {perOrganization}: at most that many deliveries of one organization in flight across the instances, which bounds deliveries/s by the receiver's round trip. Each delivery's Standard Webhooks signature is checked.\n");
        using var api = await TriggersClientAsync(_servers.Count > 0 ? _servers[0].BaseUrl : options.Url!);
        await WaitEngineIdleAsync();

        var port = NeenaServerProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        await using var app = builder.Build();
        Receiver? receiver = null;
        app.MapPost("/hook", (HttpRequest request) => receiver!.ReceiveAsync(request));
        await app.StartAsync();

        var subscription = await api.PostJsonAsync("api/v1/notification_subscriptions/", new JsonObject
        {
            ["url"] = $"http://127.0.0.1:{port}/hook",
            ["events"] = new JsonArray("run.failed"),
            ["description"] = "benchmark receiver",
        });
        var subscriptionId = NeenaClient.IdOf(subscription);
        var secret = subscription["secret"]!.GetValue<string>();
        receiver = new Receiver(Convert.FromBase64String(secret["whsec_".Length..]));

        Log($"notifications: queueing {count} pings with {BenchOptions.WriteConcurrency} clients");
        var start = Stopwatch.GetTimestamp();
        var queued = await NeenaClient.ForEachAsync(Enumerable.Range(0, count).ToList(), BenchOptions.WriteConcurrency, async (_, _) =>
        {
            var answer = await api.PostJsonAsync($"api/v1/notification_subscriptions/test?id={subscriptionId}", new JsonObject());
            return (Id: answer["webhook_id"]!.GetValue<string>(), At: Stopwatch.GetTimestamp());
        });
        var queueSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

        var timeout = TimeSpan.FromSeconds(options.Quick ? 60 : 180);
        var clock = Stopwatch.StartNew();
        while (queued.Any(q => !receiver.Seen.ContainsKey(q.Id)) && clock.Elapsed < timeout)
            await Task.Delay(100);
        // A little longer: a second delivery of the same id would arrive now if there were one.
        await Task.Delay(TimeSpan.FromSeconds(1));
        await app.StopAsync();

        var delivered = queued.Count(q => receiver.Seen.ContainsKey(q.Id));
        var receipts = receiver.Seen.Values.Sum();
        var times = receiver.FirstSeenTicks.Values.Order().ToArray();
        var span = times.Length > 1 ? Stopwatch.GetElapsedTime(times[0], times[^1]).TotalSeconds : 0;
        var endToEnd = times.Length > 0 ? Stopwatch.GetElapsedTime(start, times[^1]).TotalSeconds : 0;
        var lags = queued.Where(q => receiver.FirstSeenTicks.ContainsKey(q.Id))
            .Select(q => Math.Max(0, Stopwatch.GetElapsedTime(q.At, receiver.FirstSeenTicks[q.Id]).TotalMilliseconds)).Order().ToArray();
        using (var response = await api.Http.DeleteAsync($"api/v1/notification_subscriptions/?id={subscriptionId}"))
        {
            if (response.StatusCode != HttpStatusCode.OK)
                Log($"warning: deleting the subscription answered {(int)response.StatusCode}");
        }

        void Row(string name, string key, double value, string format)
        {
            _markdown.Add($"| {name} | {value.ToString(format, CultureInfo.InvariantCulture)} |");
            json[key] = Math.Round(value, 2);
        }
        _markdown.Add("| measure | value |");
        _markdown.Add("|---|---:|");
        Row("server instances delivering", "instances", Math.Max(1, _servers.Count), "F0");
        Row($"pings queued ({BenchOptions.WriteConcurrency} clients), per second", "queued_per_second", count / queueSeconds, "F0");
        Row("pings delivered (distinct webhook-id)", "delivered", delivered, "F0");
        Row("deliveries received more than once (duplicate webhook-id)", "duplicates", receipts - receiver.Seen.Count, "F0");
        Row("bad signatures", "bad_signatures", receiver.BadSignatures, "F0");
        Row("deliveries per second (first → last received)", "deliveries_per_second", delivered / Math.Max(0.001, span), "F0");
        Row("deliveries per second (first ping sent → last received)", "deliveries_per_second_end_to_end", delivered / Math.Max(0.001, endToEnd), "F0");
        Row("ping answered → delivered, p50 ms", "lag_p50_ms", LoadRunner.Percentile(lags, 0.5), "F0");
        Row("ping answered → delivered, p99 ms", "lag_p99_ms", LoadRunner.Percentile(lags, 0.99), "F0");
        json["max_per_organization"] = perOrganization;
        if (delivered != count)
            Log($"warning: {delivered} of {count} pings were delivered within {timeout.TotalSeconds} s");
        Log(NeenaClient.Invariant($"notifications: {delivered} delivered, {delivered / Math.Max(0.001, span):F0}/s"));
    }
}
