using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenAI;

namespace Neena.Agent.LanguageModel;

/// <summary>
/// Asks the configured model for a structured answer through <see cref="IChatClient"/> (Microsoft.Extensions.AI with its
/// OpenAI provider, for any OpenAI-compatible endpoint). Failures come out as two kinds:
/// <see cref="LanguageModelUnavailableException"/> (unreachable, timeout, 429, 5xx: ask again later) and
/// <see cref="LanguageModelException"/> (the endpoint refused the request). The chat client is created on first use, so a
/// server that never asks the model never connects to it.
/// </summary>
public sealed class LanguageModelClient : IDisposable
{
    private readonly LanguageModelOptions _options;
    private readonly ILogger<LanguageModelClient> _logger;
    private readonly Lazy<(IChatClient Chat, HttpClient Http)> _client;

    public LanguageModelClient(IOptions<LanguageModelOptions> options, ILogger<LanguageModelClient> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        _client = new Lazy<(IChatClient, HttpClient)>(CreateClient, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Whether a model is configured (<c>LanguageModel:Provider = openai</c>).</summary>
    public bool IsEnabled => _options.IsEnabled;

    /// <summary>The configured model's name, for the record (null without a model).</summary>
    public string? ModelName => IsEnabled ? _options.Model : null;

    /// <summary>Sends <paramref name="messages"/> asking for an answer of <paramref name="schema"/>.</summary>
    /// <exception cref="LanguageModelUnavailableException">The model cannot answer now; ask again later.</exception>
    /// <exception cref="LanguageModelException">The endpoint refused the request.</exception>
    public async Task<ModelAnswer> AskAsync(IReadOnlyList<ChatMessage> messages, AnswerSchema schema, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(schema);
        if (!IsEnabled)
            throw new InvalidOperationException("No language model is configured (LanguageModel:Provider is 'none').");

        var chatOptions = new ChatOptions
        {
            ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.Schema, schema.Name, schema.Description),
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            var response = await _client.Value.Chat.GetResponseAsync(messages, chatOptions, timeout.Token);
            var usage = new TokenUsage(response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0);
            return ModelAnswer.From(response.Text, usage) with { Model = string.IsNullOrWhiteSpace(response.ModelId) ? ModelName : response.ModelId };
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unavailable(string.Create(CultureInfo.InvariantCulture, $"The language model did not answer within {_options.TimeoutSeconds} s."), null, e);
        }
        catch (ClientResultException e)
        {
            throw Classify(e);
        }
        catch (HttpRequestException e)
        {
            throw Unavailable($"The language model endpoint is unreachable: {Scrub(e.Message)}", null, e);
        }
        catch (IOException e)
        {
            throw Unavailable($"The connection to the language model failed: {Scrub(e.Message)}", null, e);
        }
    }

    private Exception Classify(ClientResultException e)
    {
        var response = e.GetRawResponse();
        var status = e.Status;
        var retryAfter = response is null ? null : RetryAfter(response.Headers);
        if (status == 0)
        {
            // No HTTP answer at all: the pipeline wraps connection failures this way.
            return Unavailable($"The language model endpoint is unreachable: {Scrub(e.InnerException?.Message ?? e.Message)}", null, e);
        }
        if (status is (int)HttpStatusCode.TooManyRequests or (int)HttpStatusCode.RequestTimeout or >= 500)
        {
            return Unavailable(
                string.Create(CultureInfo.InvariantCulture, $"The language model endpoint answered {status} {response?.ReasonPhrase}: {Scrub(ErrorMessage(response))}"),
                retryAfter,
                e);
        }
        _logger.LogWarning("The language model endpoint refused a request with status {Status}", status);
        return new LanguageModelException(
            string.Create(CultureInfo.InvariantCulture, $"The language model endpoint refused the request: {status} {response?.ReasonPhrase}: {Scrub(ErrorMessage(response))}"),
            e);
    }

    private LanguageModelUnavailableException Unavailable(string message, TimeSpan? retryAfter, Exception inner)
    {
        _logger.LogWarning("Language model unavailable: {Reason}", message);
        return new LanguageModelUnavailableException(message, retryAfter, inner);
    }

    /// <summary><c>retry-after-ms</c> (OpenAI's precise variant), else <c>Retry-After</c> in seconds or as an HTTP date.</summary>
    internal static TimeSpan? RetryAfter(PipelineResponseHeaders headers)
    {
        if (headers.TryGetValue("retry-after-ms", out var ms)
            && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds >= 0 && double.IsFinite(milliseconds))
            return TimeSpan.FromMilliseconds(milliseconds);
        if (!headers.TryGetValue("Retry-After", out var value) || string.IsNullOrWhiteSpace(value))
            return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0 && double.IsFinite(seconds))
            return TimeSpan.FromSeconds(seconds);
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            var delay = date - DateTimeOffset.UtcNow;
            return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
        }
        return null;
    }

    /// <summary>The endpoint's own explanation (OpenAI: <c>{"error": {"message"}}</c>), bounded so that a huge page does not flood a 502.</summary>
    private static string ErrorMessage(PipelineResponse? response)
    {
        if (response is null)
            return "no response";
        string text;
        try
        {
            text = response.Content.ToString();
        }
        catch (InvalidOperationException)
        {
            return "no readable response body";
        }
        try
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(text)?["error"] is { } error)
                text = error is System.Text.Json.Nodes.JsonObject o && o["message"] is { } m ? m.ToString() : error.ToString();
        }
        catch (System.Text.Json.JsonException)
        {
            // Not JSON: the raw text is the explanation.
        }
        text = text.Trim();
        return text.Length > 500 ? string.Concat(text.AsSpan(0, 500), "…") : text;
    }

    /// <summary>An endpoint may echo the credential it was given in an error; it must never travel further.</summary>
    private string Scrub(string text) =>
        string.IsNullOrEmpty(_options.ApiKey) ? text : text.Replace(_options.ApiKey, "***", StringComparison.Ordinal);

    private (IChatClient, HttpClient) CreateClient()
    {
        var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            // The per-request limit is ours (a linked token), so that a timeout is told apart from a caller's cancellation.
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = new Uri(_options.Endpoint!),
            // Retrying belongs to the callers (the engine backs off, generation answers 503 with Retry-After); the SDK's own
            // retries would hide a 429's Retry-After and multiply the wait.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = _options.Timeout + TimeSpan.FromSeconds(5),
            Transport = new HttpClientPipelineTransport(http),
        };
        // Local servers (llama.cpp, Ollama) take any key; the SDK insists on a non-empty one.
        var credential = new ApiKeyCredential(string.IsNullOrEmpty(_options.ApiKey) ? "none" : _options.ApiKey);
        var chat = new OpenAI.Chat.ChatClient(_options.Model!, credential, clientOptions).AsIChatClient();
        _logger.LogInformation("Language model client created: {Options}", _options);
        return (chat, http);
    }

    public void Dispose()
    {
        if (!_client.IsValueCreated)
            return;
        _client.Value.Chat.Dispose();
        _client.Value.Http.Dispose();
    }
}
