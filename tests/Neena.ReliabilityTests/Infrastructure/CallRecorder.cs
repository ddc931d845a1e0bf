using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Neena.Harness;

namespace Neena.ReliabilityTests.Infrastructure;

/// <summary>One execution of a task as seen by the HTTP endpoint it called.</summary>
public sealed record TaskCall(string Key, DateTime Start, DateTime End, bool Aborted);

/// <summary>
/// A tiny HTTP server in the test process that flows call through the "HTTP Request" task. Each call names the task run it
/// belongs to (a key in the body plus the <c>X-Op</c> header), takes a while, and is recorded; a call whose key is already being
/// served means two executions of one task run at the same time, which the engine must never allow.
/// </summary>
public sealed class CallRecorder : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _active = new();
    private readonly ConcurrentQueue<TaskCall> _calls = new();
    private readonly ConcurrentQueue<string> _overlaps = new();

    private CallRecorder(WebApplication app, int port, TimeSpan callDuration)
    {
        _app = app;
        Port = port;
        CallDuration = callDuration;
    }

    public int Port { get; }
    public TimeSpan CallDuration { get; }
    public Uri CallUrl => new($"http://127.0.0.1:{Port}/call");
    public IReadOnlyCollection<TaskCall> Calls => _calls.ToArray();
    public IReadOnlyCollection<string> Overlaps => _overlaps.ToArray();

    public static async Task<CallRecorder> StartAsync(TimeSpan callDuration)
    {
        var port = NeenaServerProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var recorder = new CallRecorder(app, port, callDuration);
        app.MapPost("/call", (Delegate)recorder.HandleAsync);
        await app.StartAsync();
        return recorder;
    }

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var key = $"{body.Trim()}#{context.Request.Headers["X-Op"]}";
        var start = DateTime.UtcNow;
        if (_active.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
            _overlaps.Enqueue($"{key} started at {start:O} while another execution was running");
        var aborted = false;
        try
        {
            await Task.Delay(CallDuration, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The calling server died (or gave up): the execution ends here.
            aborted = true;
        }
        finally
        {
            _active.AddOrUpdate(key, 0, (_, n) => n - 1);
            _calls.Enqueue(new TaskCall(key, start, DateTime.UtcNow, aborted));
        }
        return Results.Json(new { ok = true, key });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
