using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Neena.Harness;
using Neena.ReliabilityTests.Infrastructure;
using StandardWebhooks;
using Xunit.Abstractions;

namespace Neena.ReliabilityTests;

/// <summary>
/// A notification is written to the outbox with the state change, so a server killed with SIGKILL while it is delivering
/// it (the receiver holds the request open) loses nothing: the restarted server delivers it, with the same webhook-id
/// and a signature the Standard Webhooks library verifies.
/// </summary>
public sealed class NotificationCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_SIGKILL_during_the_delivery_is_followed_by_the_delivery_after_the_restart_with_the_same_webhook_id()
    {
        var (host, connectionString) = await SharedPostgres.CreateDatabaseAsync("notify");
        NeenaServerProcess? first = null;
        NeenaServerProcess? second = null;
        using var receiver = new HttpListener();
        var port = NeenaServerProcess.FreePort();
        receiver.Prefixes.Add($"http://127.0.0.1:{port}/");
        receiver.Start();
        var requests = new List<(string Id, string Body, Dictionary<string, string> Headers)>();
        var firstHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var serving = ServeAsync(receiver, requests, firstHeld, release.Task);
        try
        {
            const string email = "notify-crash@example.com";
            var key = await NeenaServerProcess.CreateApiKeyAsync(connectionString, email);
            var settings = Servers.Settings();
            settings["Notifications__Lease"] = "00:00:20";
            settings["Notifications__Timeout"] = "00:00:10";
            settings["Notifications__PollInterval"] = "00:00:01";
            first = await NeenaServerProcess.StartAsync(connectionString, "notify-first", settings, log: line => Servers.TryWrite(output, line));
            using var api = new NeenaClient(first.BaseUrl, key);
            var subscription = await api.PostJsonAsync("api/v1/notification_subscriptions/", new JsonObject
            {
                ["url"] = $"http://127.0.0.1:{port}/neena",
                ["events"] = new JsonArray("run.awaiting_approval"),
            });
            var secret = subscription["secret"]!.GetValue<string>();
            var echo = await api.TaskDefinitionIdAsync("Echo");
            var flow = await api.CreateFlowAsync("echo", [new FlowOperation(0, "echo", echo, new JsonObject { ["message"] = "hi" })], []);
            var run = await api.CreateRunAsync(flow, await api.CreateFlowRequestAsync("Say hi when approved"));

            // The first server is sending the event and the receiver holds the request open: kill it now.
            await firstHeld.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await first.KillAsync();
            var webhookId = (Guid)(await Db.RowsAsync(connectionString, "SELECT id FROM notification_outbox WHERE subject_id = $1", run)).Single()[0];
            output.WriteLine($"killed the first server while it delivered {webhookId}");
            release.SetResult();

            second = await NeenaServerProcess.StartAsync(connectionString, "notify-second", settings, log: line => Servers.TryWrite(output, line));
            var delivered = await Db.WaitUntilAsync(async () =>
                await Db.CountAsync(connectionString, "SELECT count(*) FROM notification_outbox WHERE id = $1 AND status = 'delivered'", webhookId) == 1,
                TimeSpan.FromSeconds(60));
            Assert.True(delivered, second.RecentOutput);

            List<(string Id, string Body, Dictionary<string, string> Headers)> seen;
            lock (requests)
                seen = [.. requests];
            Assert.True(seen.Count >= 2, $"{seen.Count} requests");
            Assert.All(seen, r => Assert.Equal(webhookId.ToString(), r.Id));
            var last = seen[^1];
            var headers = new HeaderDictionary();
            foreach (var (name, value) in last.Headers)
                headers[name] = value;
            new StandardWebhook(secret).Verify(last.Body, headers);
            var body = JsonNode.Parse(last.Body)!;
            Assert.Equal("run.awaiting_approval", body["type"]!.GetValue<string>());
            Assert.Equal(run.ToString(), body["data"]!["id"]!.GetValue<string>());
        }
        finally
        {
            release.TrySetResult();
            receiver.Stop();
            await serving;
            if (first is not null)
                await first.DisposeAsync();
            if (second is not null)
                await second.DisposeAsync();
            await host.DropDatabaseAsync(connectionString);
        }
    }

    /// <summary>Records every request; holds the first one open until <paramref name="release"/>, answers the others 200.</summary>
    private static async Task ServeAsync(HttpListener listener, List<(string Id, string Body, Dictionary<string, string> Headers)> requests, TaskCompletionSource firstHeld, Task release)
    {
        var held = new List<Task>();
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                break;
            }
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!.ToLowerInvariant(), k => context.Request.Headers[k]!);
            bool first;
            lock (requests)
            {
                requests.Add((headers.GetValueOrDefault("webhook-id", ""), body, headers));
                first = requests.Count == 1;
            }
            if (first)
            {
                firstHeld.TrySetResult();
                held.Add(release.ContinueWith(_ => Close(context, 200), TaskScheduler.Default));
            }
            else
            {
                Close(context, 200);
            }
        }
        await Task.WhenAll(held);
    }

    private static void Close(HttpListenerContext context, int status)
    {
        try
        {
            context.Response.StatusCode = status;
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            // The client is gone (the killed server).
        }
    }
}
