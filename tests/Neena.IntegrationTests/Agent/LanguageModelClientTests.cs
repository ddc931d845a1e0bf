using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Neena.Agent.LanguageModel;
using Neena.IntegrationTests.StandIns;

namespace Neena.IntegrationTests.Agent;

/// <summary>The model client over real HTTP against the OpenAI-compatible stand-in.</summary>
public sealed class LanguageModelClientTests : IAsyncLifetime
{
    private OpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await OpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private LanguageModelClient Client(string? apiKey = null, double timeoutSeconds = 10, string? endpoint = null) => new(
        Options.Create(new LanguageModelOptions
        {
            Provider = "openai",
            Endpoint = endpoint ?? _server.Endpoint,
            ApiKey = apiKey ?? _server.ApiKey,
            Model = OpenAiServer.ModelName,
            TimeoutSeconds = timeoutSeconds,
        }),
        NullLogger<LanguageModelClient>.Instance);

    private static readonly ChatMessage[] Messages = [new(ChatRole.System, "You fill task parameters."), new(ChatRole.User, "## Unresolved parameters\n- message (string)")];

    [Fact]
    public async Task AskAsync_WithSchema_SendsJsonSchemaByNameWithBearerKeyAndReadsAnswerAndUsage()
    {
        using var client = Client();

        var answer = await client.AskAsync(Messages, AnswerSchema.TaskParameters, CancellationToken.None);

        var request = Assert.Single(_server.Requests);
        Assert.Equal("Bearer " + _server.ApiKey, request.Authorization);
        Assert.Equal(OpenAiServer.ModelName, request.Model);
        Assert.Equal("json_schema", request.Body["response_format"]!["type"]!.GetValue<string>());
        Assert.Equal("task_parameters", request.SchemaName);
        Assert.Equal("array", request.Schema!["properties"]!["parameters"]!["type"]!.GetValue<string>());
        Assert.Equal(["system", "user"], request.Messages.Select(m => m.Role));
        Assert.Null(answer.ParseError);
        Assert.Equal("message", answer.Json!["parameters"]![0]!["name"]!.GetValue<string>());
        Assert.Equal(_server.PromptTokensSent, answer.Usage.PromptTokens);
        Assert.Equal(_server.CompletionTokensSent, answer.Usage.CompletionTokens);
        Assert.True(answer.Usage.TotalTokens > 0);
    }

    [Fact]
    public async Task AskAsync_AnswerInCodeFence_IsParsed()
    {
        _server.Enqueue(Reply.Answer("```json\n{\"parameters\": []}\n```"));
        using var client = Client();

        var answer = await client.AskAsync(Messages, AnswerSchema.TaskParameters, CancellationToken.None);

        Assert.Null(answer.ParseError);
        Assert.Empty(answer.Json!["parameters"]!.AsArray());
    }

    [Fact]
    public async Task AskAsync_AnswerNotJson_ReportsParseErrorWithoutThrowing()
    {
        _server.Enqueue(Reply.Answer("I cannot do that."));
        using var client = Client();

        var answer = await client.AskAsync(Messages, AnswerSchema.TaskParameters, CancellationToken.None);

        Assert.Null(answer.Json);
        Assert.Contains("not valid JSON", answer.ParseError);
        Assert.Equal("I cannot do that.", answer.Text);
    }

    [Fact]
    public async Task AskAsync_RateLimited_ThrowsUnavailableWithRetryAfterAndDoesNotRetryItself()
    {
        _server.Enqueue(Reply.Fail(429, retryAfterSeconds: 7));
        using var client = Client();

        var error = await Assert.ThrowsAsync<LanguageModelUnavailableException>(() => client.AskAsync(Messages, AnswerSchema.TaskParameters, CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
        Assert.Contains("429", error.Message);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task AskAsync_ServerError_ThrowsUnavailable()
    {
        _server.Enqueue(Reply.Fail(503));
        using var client = Client();

        var error = await Assert.ThrowsAsync<LanguageModelUnavailableException>(() => client.AskAsync(Messages, AnswerSchema.Flow, CancellationToken.None));

        Assert.Null(error.RetryAfter);
    }

    [Fact]
    public async Task AskAsync_SlowerThanTimeout_ThrowsUnavailable()
    {
        _server.Enqueue(Reply.After(TimeSpan.FromSeconds(5)));
        using var client = Client(timeoutSeconds: 0.5);

        var error = await Assert.ThrowsAsync<LanguageModelUnavailableException>(() => client.AskAsync(Messages, AnswerSchema.TaskParameters, CancellationToken.None));

        Assert.Contains("did not answer within 0.5 s", error.Message);
    }

    [Fact]
    public async Task AskAsync_CallerCancels_ThrowsOperationCanceled()
    {
        _server.Enqueue(Reply.After(TimeSpan.FromSeconds(5)));
        using var client = Client();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.AskAsync(Messages, AnswerSchema.TaskParameters, cancel.Token));
    }

    [Fact]
    public async Task AskAsync_Unreachable_ThrowsUnavailable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there any more
        using var client = Client(endpoint: $"http://127.0.0.1:{port}/v1");

        var error = await Assert.ThrowsAsync<LanguageModelUnavailableException>(() => client.AskAsync(Messages, AnswerSchema.TaskParameters, CancellationToken.None));

        Assert.Contains("unreachable", error.Message);
    }

    [Fact]
    public async Task AskAsync_WrongKey_ThrowsPermanentErrorThatNeverShowsTheKey()
    {
        const string wrongKey = "sk-wrong-key-0123456789";
        using var client = Client(apiKey: wrongKey);

        var error = await Assert.ThrowsAsync<LanguageModelException>(() => client.AskAsync(Messages, AnswerSchema.TaskParameters, CancellationToken.None));

        Assert.Contains("401", error.Message);
        Assert.DoesNotContain(wrongKey, error.ToString());
    }

    [Fact]
    public void Options_ToString_NeverShowsTheKey()
    {
        var options = new LanguageModelOptions { Provider = "openai", Endpoint = "http://x/v1", ApiKey = "sk-secret-value", Model = "m" };

        Assert.DoesNotContain("sk-secret-value", options.ToString());
        Assert.Contains("ApiKey=(set)", options.ToString());
    }

    [Theory]
    [InlineData("bogus", null, "m", "Provider")]
    [InlineData("openai", null, "m", "Endpoint")]
    [InlineData("openai", "ftp://host/v1", "m", "Endpoint")]
    [InlineData("openai", "http://host/v1", null, "Model")]
    public void Options_Validate_NamesTheWrongKey(string provider, string? endpoint, string? model, string key)
    {
        var options = new LanguageModelOptions { Provider = provider, Endpoint = endpoint, Model = model };

        Assert.Contains("LanguageModel:" + key, options.Validate());
    }
}
