using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Neena.UnitTests.Integrations;

/// <summary>A real Kestrel server on 127.0.0.1 with an ephemeral port, so requests go through actual sockets.</summary>
public sealed class LocalHttpServer : IAsyncLifetime
{
    private WebApplication? _app;
    private int _requestCount;

    public Uri BaseUri { get; private set; } = null!;

    public int RequestCount => Volatile.Read(ref _requestCount);

    public string Url(string path) => new Uri(BaseUri, path).ToString();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            Interlocked.Increment(ref _requestCount);
            await next(context);
        });

        app.MapGet("/json", () => Results.Json(new { hello = "world", n = 1 }));
        app.MapPost("/echo", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            return Results.Json(new { content_type = request.ContentType, body, header = request.Headers["X-Test"].ToString() });
        });
        app.MapGet("/text", () => Results.Text("plain text", "text/plain"));
        app.MapGet("/missing", () => Results.NotFound(new { error = "nope" }));
        string[] anyMethod = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
        app.MapMethods("/error", anyMethod, () => Results.StatusCode(503));
        app.MapMethods("/slow", anyMethod, async (CancellationToken cancellationToken) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken);
            return Results.Ok();
        });
        app.MapGet("/big-chunked", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/plain";
            for (var i = 0; i < 4; i++)
            {
                await context.Response.Body.WriteAsync(new byte[1024]);
                await context.Response.Body.FlushAsync();
            }
        });
        app.MapGet("/big-declared", () => Results.Bytes(new byte[4096], "application/octet-stream"));
        app.MapGet("/exact", () => Results.Bytes(new byte[1024], "application/octet-stream"));
        app.MapGet("/redirect", (string to) => Results.Redirect(to));

        app.Urls.Add("http://127.0.0.1:0");
        await app.StartAsync();
        _app = app;
        BaseUri = new Uri(app.Urls.Single());
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
