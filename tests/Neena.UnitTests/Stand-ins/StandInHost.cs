using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Neena.StandIns;

/// <summary>One request as a stand-in received it, for tests to check what the client sent.</summary>
/// <param name="Path">The path without the query string.</param>
/// <param name="Query">The raw query string (with its leading <c>?</c>), as it travelled in the URL.</param>
/// <param name="Authorization">The <c>Authorization</c> header, if any.</param>
public sealed record RecordedRequest(DateTimeOffset At, string Method, string Path, string Query, string? Authorization, string? ContentType, string Body);

/// <summary>
/// A real Kestrel server on 127.0.0.1 with an ephemeral port (requests go through sockets, as to the real platform), which
/// records every request and can be told to answer the next ones with a rate limit or a server error.
/// </summary>
public abstract class StandInHost : IAsyncDisposable
{
    private readonly List<RecordedRequest> _requests = [];
    private readonly Queue<Func<HttpContext, Task>> _interruptions = new();
    private WebApplication? _app;

    /// <summary>The server's root, such as <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Root { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_requests)
                return _requests.ToList();
        }
    }

    protected object Sync { get; } = new();

    /// <summary>Where the request's body text is kept for handlers (read once, before they run).</summary>
    protected const string BodyKey = "stand-in.body";

    /// <summary>
    /// A parameter from the query string, else from a form or JSON body: how Slack's and Trello's APIs both take arguments.
    /// Non-string JSON values come back as their JSON text.
    /// </summary>
    protected static string? Param(HttpContext http, string name)
    {
        if (http.Request.Query.TryGetValue(name, out var fromQuery))
            return fromQuery.ToString();
        var body = http.Items[BodyKey] as string ?? "";
        if (body.Length == 0)
            return null;
        var contentType = http.Request.ContentType ?? "";
        if (contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.Ordinal))
            return Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(body).TryGetValue(name, out var fromForm) ? fromForm.ToString() : null;
        if (contentType.StartsWith("application/json", StringComparison.Ordinal))
        {
            try
            {
                if (System.Text.Json.Nodes.JsonNode.Parse(body) is System.Text.Json.Nodes.JsonObject json && json[name] is { } value)
                    return value.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>Answers the next <paramref name="count"/> requests with <paramref name="answer"/> instead of serving them.</summary>
    public void Interrupt(int count, Func<HttpContext, Task> answer)
    {
        lock (_interruptions)
        {
            for (var i = 0; i < count; i++)
                _interruptions.Enqueue(answer);
        }
    }

    /// <summary>Forgets interruptions not yet used (a test that failed early leaves them behind).</summary>
    public void ClearInterruptions()
    {
        lock (_interruptions)
            _interruptions.Clear();
    }

    public void ClearRequests()
    {
        lock (_requests)
            _requests.Clear();
    }

    protected async Task ListenAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            context.Request.EnableBuffering();
            using var reader = new StreamReader(context.Request.Body, leaveOpen: true);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            context.Request.Body.Position = 0;
            context.Items[BodyKey] = body;
            lock (_requests)
            {
                _requests.Add(new RecordedRequest(
                    DateTimeOffset.UtcNow,
                    context.Request.Method,
                    context.Request.Path.Value ?? "",
                    context.Request.QueryString.Value ?? "",
                    context.Request.Headers.Authorization.Count > 0 ? context.Request.Headers.Authorization.ToString() : null,
                    context.Request.ContentType,
                    body));
            }

            Func<HttpContext, Task>? interruption = null;
            lock (_interruptions)
            {
                if (_interruptions.Count > 0)
                    interruption = _interruptions.Dequeue();
            }

            if (interruption is not null)
                await interruption(context);
            else
                await next(context);
        });
        Map(app);
        app.Urls.Add("http://127.0.0.1:0");
        await app.StartAsync();
        _app = app;
        Root = new Uri(app.Urls.Single().TrimEnd('/') + "/");
    }

    protected abstract void Map(WebApplication app);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
