using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Neena.Integrations;
using Neena.Integrations.Http;
using static Neena.UnitTests.Integrations.TaskTestSupport;

namespace Neena.UnitTests.Integrations;

public sealed class HttpIntegrationTests(LocalHttpServer server) : IClassFixture<LocalHttpServer>
{
    private const string HttpRequest = "Neena.Integrations.Http.HttpIntegration.HttpRequest";

    private static ServiceProvider AllowLoopback(Action<HttpIntegrationOptions>? configure = null) =>
        new ServiceCollection()
            .Configure<HttpIntegrationOptions>(o =>
            {
                o.AllowedNetworks.Add("127.0.0.1/32");
                configure?.Invoke(o);
            })
            .BuildServiceProvider();

    private Task<JsonNode?> SendAsync(JsonObject input, IServiceProvider? services = null, CancellationToken cancellationToken = default) =>
        InvokeAsync(HttpRequest, input, Context(services ?? AllowLoopback(), cancellationToken));

    [Fact]
    public async Task HttpRequest_GetJson_ReturnsParsedJson()
    {
        var output = await SendAsync(new JsonObject { ["url"] = server.Url("/json") });

        Assert.Equal(200, output!["status_code"]!.GetValue<int>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"hello":"world","n":1}"""), output["json"]));
        Assert.Null(output["text"]);
        Assert.StartsWith("application/json", output["headers"]!["Content-Type"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpRequest_PostJsonBody_SendsJsonWithHeaders()
    {
        var output = await SendAsync(new JsonObject
        {
            ["method"] = "post",
            ["url"] = server.Url("/echo"),
            ["headers"] = new JsonObject { ["X-Test"] = "yes" },
            ["body"] = new JsonObject { ["a"] = 1 },
        });

        var json = output!["json"]!;
        Assert.StartsWith("application/json", json["content_type"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("""{"a":1}""", json["body"]!.GetValue<string>());
        Assert.Equal("yes", json["header"]!.GetValue<string>());
    }

    [Fact]
    public async Task HttpRequest_PostStringBody_SendsTextPlain()
    {
        var output = await SendAsync(new JsonObject { ["method"] = "POST", ["url"] = server.Url("/echo"), ["body"] = "hello" });

        var json = output!["json"]!;
        Assert.StartsWith("text/plain", json["content_type"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("hello", json["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task HttpRequest_ContentTypeHeader_OverridesBodyType()
    {
        var output = await SendAsync(new JsonObject
        {
            ["method"] = "POST",
            ["url"] = server.Url("/echo"),
            ["headers"] = new JsonObject { ["Content-Type"] = "application/vnd.test+json" },
            ["body"] = new JsonArray(1, 2),
        });

        Assert.Equal("application/vnd.test+json", output!["json"]!["content_type"]!.GetValue<string>());
        Assert.Equal("[1,2]", output["json"]!["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task HttpRequest_TextResponse_ReturnsText()
    {
        var output = await SendAsync(new JsonObject { ["url"] = server.Url("/text") });

        Assert.Equal("plain text", output!["text"]!.GetValue<string>());
        Assert.Null(output["json"]);
    }

    [Fact]
    public async Task HttpRequest_NotFound_ReturnsStatusWithoutThrowing()
    {
        var output = await SendAsync(new JsonObject { ["url"] = server.Url("/missing") });

        Assert.Equal(404, output!["status_code"]!.GetValue<int>());
        Assert.Equal("nope", output["json"]!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task HttpRequest_ServerError_ThrowsTransientWithStatus()
    {
        var ex = await Assert.ThrowsAsync<TransientTaskException>(() => SendAsync(new JsonObject { ["url"] = server.Url("/error") }));

        Assert.Contains("503", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PATCH")]
    public async Task HttpRequest_UnsafeMethodServerError_FailsWithoutRetry(string method)
    {
        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => SendAsync(new JsonObject { ["method"] = method, ["url"] = server.Url("/error") }));

        Assert.Contains("503", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not safe to repeat", ex.Message, StringComparison.Ordinal);
        Assert.Contains("retry_unsafe", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("HEAD")]
    [InlineData("OPTIONS")]
    public async Task HttpRequest_IdempotentMethodServerError_ThrowsTransient(string method)
    {
        await Assert.ThrowsAsync<TransientTaskException>(() => SendAsync(new JsonObject { ["method"] = method, ["url"] = server.Url("/error") }));
    }

    [Fact]
    public async Task HttpRequest_PostServerErrorWithRetryUnsafe_ThrowsTransient()
    {
        await Assert.ThrowsAsync<TransientTaskException>(
            () => SendAsync(new JsonObject { ["method"] = "POST", ["url"] = server.Url("/error"), ["retry_unsafe"] = true }));
    }

    [Fact]
    public async Task HttpRequest_PostTimesOut_FailsWithoutRetry()
    {
        var ex = await Assert.ThrowsAsync<TaskFailedException>(
            () => SendAsync(new JsonObject { ["method"] = "POST", ["url"] = server.Url("/slow"), ["timeout_seconds"] = 0.3 }));

        Assert.Contains("timed out", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not safe to repeat", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpRequest_PostConnectionRefused_ThrowsTransientBecauseNothingWasSent()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nobody listens there any more: the connection is refused

        await Assert.ThrowsAsync<TransientTaskException>(
            () => SendAsync(new JsonObject { ["method"] = "POST", ["url"] = $"http://127.0.0.1:{port}/x" }));
    }

    [Fact]
    public async Task HttpRequest_TimeoutLongerThanTheEnginesTimeLimit_ThrowsTaskInputException()
    {
        var context = new TaskContext(AllowLoopback(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, TimeSpan.FromSeconds(20), CancellationToken.None);

        var ex = await Assert.ThrowsAsync<TaskInputException>(
            () => InvokeAsync(HttpRequest, new JsonObject { ["url"] = server.Url("/json"), ["timeout_seconds"] = 25 }, context));

        Assert.Equal("timeout_seconds", ex.Field);
        Assert.Contains("time limit of 20 s", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpRequest_SlowServer_ThrowsTransientTimeout()
    {
        var stopwatch = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<TransientTaskException>(
            () => SendAsync(new JsonObject { ["url"] = server.Url("/slow"), ["timeout_seconds"] = 0.5 }));

        Assert.Contains("timed out", ex.Message, StringComparison.Ordinal);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task HttpRequest_CallerCancels_ThrowsOperationCanceled()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => SendAsync(new JsonObject { ["url"] = server.Url("/slow") }, cancellationToken: cts.Token));
    }

    [Theory]
    [InlineData("/big-chunked")]
    [InlineData("/big-declared")]
    public async Task HttpRequest_ResponseOverCap_ThrowsTaskFailed(string path)
    {
        var services = AllowLoopback(o => o.MaxResponseBytes = 1024);

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => SendAsync(new JsonObject { ["url"] = server.Url(path) }, services));

        Assert.Contains("larger than 1024", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpRequest_ResponseExactlyAtCap_Succeeds()
    {
        var services = AllowLoopback(o => o.MaxResponseBytes = 1024);

        var output = await SendAsync(new JsonObject { ["url"] = server.Url("/exact") }, services);

        Assert.Equal(1024, output!["text"]!.GetValue<string>().Length);
    }

    [Theory]
    [InlineData("http://127.0.0.1:{port}/json")]
    [InlineData("http://10.0.0.1/")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[::1]:{port}/json")]
    [InlineData("http://localhost:{port}/json")]
    [InlineData("http://0.0.0.0:{port}/json")]
    [InlineData("http://[::ffff:127.0.0.1]:{port}/json")]
    public async Task HttpRequest_InternalAddressNotAllowListed_RefusesWithoutConnecting(string url)
    {
        var before = server.RequestCount;
        var empty = new ServiceCollection().BuildServiceProvider();

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => SendAsync(
            new JsonObject { ["url"] = url.Replace("{port}", server.BaseUri.Port.ToString()), ["timeout_seconds"] = 5 },
            empty));

        Assert.Contains("is not allowed", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, server.RequestCount);
    }

    [Fact]
    public async Task HttpRequest_RedirectToInternalAddress_RefusedAtConnect()
    {
        var target = Uri.EscapeDataString("http://169.254.169.254/latest/meta-data/");

        var ex = await Assert.ThrowsAsync<TaskFailedException>(
            () => SendAsync(new JsonObject { ["url"] = server.Url($"/redirect?to={target}") }));

        Assert.Contains("169.254.169.254 is not allowed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpRequest_AllowedHost_PermitsLocalhost()
    {
        var services = new ServiceCollection()
            .Configure<HttpIntegrationOptions>(o => o.AllowedHosts.Add("LOCALHOST"))
            .BuildServiceProvider();

        var output = await SendAsync(new JsonObject { ["url"] = $"http://localhost:{server.BaseUri.Port}/json" }, services);

        Assert.Equal(200, output!["status_code"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("""{"url":"ftp://example.com/"}""", "url")]
    [InlineData("""{"url":"/relative"}""", "url")]
    [InlineData("""{"url":"http://example.com/","method":"BREW"}""", "method")]
    [InlineData("""{"url":"http://example.com/","timeout_seconds":301}""", "timeout_seconds")]
    [InlineData("""{"url":"http://example.com/","timeout_seconds":0}""", "timeout_seconds")]
    [InlineData("""{"url":"http://example.com/","headers":{"X-Bad":"a\r\nInjected: 1"}}""", "headers")]
    public async Task HttpRequest_InvalidInput_ThrowsTaskInputException(string input, string field)
    {
        var ex = await Assert.ThrowsAsync<TaskInputException>(() => SendAsync(JsonNode.Parse(input)!.AsObject()));

        Assert.Equal(field, ex.Field);
    }

    [Fact]
    public async Task AddNeenaIntegrations_ConfiguredAllowList_UsesFactoryClient()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Integrations:Http:AllowedNetworks:0"] = "127.0.0.1/32" })
            .Build();
        using var services = new ServiceCollection().AddNeenaIntegrations(configuration).BuildServiceProvider();
        var invoker = services.GetRequiredService<TaskInvoker>();
        var catalogue = services.GetRequiredService<IntegrationCatalogue>();

        var output = await invoker.InvokeAsync(
            catalogue.FindTask(HttpRequest)!,
            new JsonObject { ["url"] = server.Url("/json") },
            Context(services));

        Assert.Equal(200, output!["status_code"]!.GetValue<int>());
        Assert.NotNull(services.GetService<IHttpClientFactory>());
    }

    [Fact]
    public async Task HttpRequest_HeadersOfTheRequest_AreNeverLoggedAtAnyLevel()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Integrations:Http:AllowedNetworks:0"] = "127.0.0.1/32" })
            .Build();
        var logs = new Platforms.LogCapture();
        using var services = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs))
            .AddNeenaIntegrations(configuration)
            .BuildServiceProvider();

        await SendAsync(new JsonObject { ["url"] = server.Url("/json"), ["headers"] = new JsonObject { ["Authorization"] = "Bearer sk-live-0123456789" } }, services);

        Assert.Contains("/json", logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-live-0123456789", logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddNeenaIntegrations_WithoutAllowList_FactoryClientRefusesLoopback()
    {
        using var services = new ServiceCollection().AddNeenaIntegrations().BuildServiceProvider();
        var before = server.RequestCount;

        await Assert.ThrowsAsync<TaskFailedException>(
            () => SendAsync(new JsonObject { ["url"] = server.Url("/json") }, services));

        Assert.Equal(before, server.RequestCount);
    }

    [Fact]
    public async Task GuardedHandler_RequestWithoutTaskCheck_RefusedInConnectCallback()
    {
        using var client = new HttpClient(GuardedHttpHandler.Create(() => AddressPolicy.Default));
        var before = server.RequestCount;

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(server.Url("/json")));

        Assert.IsType<TaskFailedException>(ex.InnerException);
        Assert.Equal(before, server.RequestCount);
    }
}
