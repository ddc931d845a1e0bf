using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Neena.IntegrationTests.Triggers;

namespace Neena.IntegrationTests.Notifications;

/// <summary>The webhook server (engine, trigger processor) with quick notification retries, allowed to deliver to 127.0.0.1 only.</summary>
public sealed class NotificationFactory : WebhookFactory
{
    protected override IDictionary<string, string?> ExtraSettings
    {
        get
        {
            var settings = base.ExtraSettings;
            settings["Integrations:Http:AllowedNetworks:0"] = "127.0.0.1/32";
            settings["Notifications:RetryBaseDelay"] = "00:00:00.200";
            settings["Notifications:MaxRetryDelay"] = "00:00:01";
            settings["Notifications:Timeout"] = "00:00:05";
            settings["Notifications:PollInterval"] = "00:00:01";
            return settings;
        }
    }
}

/// <summary>One request the receiver got.</summary>
public sealed record ReceivedNotification(Dictionary<string, string> Headers, string Body, int Answer)
{
    public JsonNode Json => JsonNode.Parse(Body)!;

    public string WebhookId => Headers["webhook-id"];

    public string Type => Json["type"]!.GetValue<string>();
}

/// <summary>
/// A receiver of notifications on 127.0.0.1: records every request with its headers and raw body, and answers each path
/// from a script (status codes, one per request; 200 when the script is empty).
/// </summary>
public sealed class NotificationReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<int>> _scripts = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<ReceivedNotification>> _received = new();

    private NotificationReceiver(WebApplication app) => _app = app;

    public Uri BaseUri { get; private set; } = null!;

    public string Url(string path) => new Uri(BaseUri, path).ToString();

    public void Script(string path, params int[] answers) => _scripts[path] = new ConcurrentQueue<int>(answers);

    public IReadOnlyList<ReceivedNotification> Received(string path) =>
        _received.TryGetValue(path, out var queue) ? queue.ToList() : [];

    /// <summary>Waits until <paramref name="path"/> received a request satisfying <paramref name="condition"/>; fails after a bound.</summary>
    public async Task<ReceivedNotification> WaitForAsync(string path, Func<ReceivedNotification, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (Received(path).FirstOrDefault(condition) is { } found)
                return found;
            await Task.Delay(50);
        }
        Assert.Fail($"No matching notification at {path}; received: {string.Join("\n", Received(path).Select(r => r.Body))}");
        return null!;
    }

    public static async Task<NotificationReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new NotificationReceiver(app);
        app.MapPost("/{**path}", async (HttpContext context, string path) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var key = "/" + path;
            var answer = receiver._scripts.TryGetValue(key, out var script) && script.TryDequeue(out var scripted) ? scripted : (int)HttpStatusCode.OK;
            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            receiver._received.GetOrAdd(key, _ => new()).Enqueue(new ReceivedNotification(headers, body, answer));
            return Results.StatusCode(answer);
        });
        await app.StartAsync();
        receiver.BaseUri = new Uri(app.Urls.First());
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
