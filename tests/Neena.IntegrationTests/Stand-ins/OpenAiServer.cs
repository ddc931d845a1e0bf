using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Neena.IntegrationTests.StandIns;

/// <summary>
/// An OpenAI-compatible chat-completions endpoint on 127.0.0.1 (<c>POST {Endpoint}/chat/completions</c>), so that the
/// server's real model client is tested end to end over HTTP. It checks the bearer key, reads the requested
/// <c>response_format.json_schema.name</c>, answers from what the request contains, reports <c>usage</c>, and plays
/// scripted replies first (failures with <c>Retry-After</c>, delays, invalid answers) when a test queues them.
/// </summary>
public sealed class OpenAiServer : IAsyncDisposable
{
    public const string ModelName = "stand-in-model";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<ChatRequest, Reply>> _script = new();
    private readonly ConcurrentQueue<ChatRequest> _requests = new();

    private OpenAiServer(WebApplication app) => _app = app;

    /// <summary>A fresh key per server: tests look for it in logs and answers, where it must never appear.</summary>
    public string ApiKey { get; } = "sk-standin-" + Guid.NewGuid().ToString("N");

    public Uri BaseUri { get; private set; } = null!;

    /// <summary>The base URL with its version segment, as <c>LanguageModel:Endpoint</c> takes it.</summary>
    public string Endpoint => new Uri(BaseUri, "v1").ToString();

    /// <summary>Every chat request received, in order (including refused ones).</summary>
    public IReadOnlyList<ChatRequest> Requests => _requests.ToList();

    /// <summary>Usage reported in every successful answer so far.</summary>
    public long PromptTokensSent { get; private set; }
    public long CompletionTokensSent { get; private set; }

    /// <summary>Queues a reply for the next request; unqueued requests get the default answer for their schema.</summary>
    public void Enqueue(Func<ChatRequest, Reply> reply) => _script.Enqueue(reply);

    public void Enqueue(Reply reply) => _script.Enqueue(_ => reply);

    public void Reset()
    {
        _script.Clear();
        _requests.Clear();
        PromptTokensSent = 0;
        CompletionTokensSent = 0;
    }

    public static async Task<OpenAiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new OpenAiServer(app);
        app.MapPost("/v1/chat/completions", (Delegate)server.HandleAsync);
        app.Urls.Add("http://127.0.0.1:0");
        await app.StartAsync();
        server.BaseUri = new Uri(app.Urls.First());
        return server;
    }

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        var request = new ChatRequest(body, context.Request.Headers.Authorization.ToString());
        _requests.Enqueue(request);
        if (request.Authorization != "Bearer " + ApiKey)
            return Error(401, "invalid_api_key", "Incorrect API key provided.");

        var reply = _script.TryDequeue(out var scripted) ? scripted(request) : Reply.Default;
        if (reply.Delay is { } delay)
            await Task.Delay(delay, context.RequestAborted);
        if (reply.Status is { } status)
        {
            if (reply.RetryAfterSeconds is { } seconds)
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return Error(status, "scripted", reply.ErrorMessage ?? $"Scripted failure {status}.");
        }

        var content = reply.Content ?? DefaultAnswer(request);
        var promptTokens = request.Messages.Sum(m => m.Content.Length) / 4 + 1;
        var completionTokens = content.Length / 4 + 1;
        PromptTokensSent += promptTokens;
        CompletionTokensSent += completionTokens;
        return Results.Json(new JsonObject
        {
            ["id"] = "chatcmpl-" + Guid.NewGuid().ToString("N"),
            ["object"] = "chat.completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = request.Model,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content },
                ["finish_reason"] = "stop",
            }),
            ["usage"] = new JsonObject
            {
                ["prompt_tokens"] = promptTokens,
                ["completion_tokens"] = completionTokens,
                ["total_tokens"] = promptTokens + completionTokens,
            },
        });
    }

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new { error = new { message, type = "invalid_request_error", code } }, statusCode: status);

    private static string DefaultAnswer(ChatRequest request) => request.SchemaName switch
    {
        "flow" => FlowAnswer(request).ToJsonString(),
        "task_parameters" => TaskParametersAnswer(request).ToJsonString(),
        _ => "{}",
    };

    /// <summary>
    /// A flow of the candidates the request names (by task name, in the order the request mentions them; else the first
    /// candidate), chained one after the other. Required inputs are bound, in this order, to an output of the previous
    /// operation with the same data type, a request metadata key of the same name, or the request's instructions.
    /// </summary>
    public static JsonObject FlowAnswer(ChatRequest request)
    {
        var prompt = request.Messages.First(m => m.Role == "user").Content;
        var candidates = Candidates(request);
        var instructions = Line(prompt, "Instructions: ") ?? "";
        var metadata = JsonNode.Parse(Line(prompt, "Metadata: ") ?? "[]")!.AsArray();
        var chosen = candidates
            .Select(c => (Candidate: c, At: instructions.IndexOf(c["task_name"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase)))
            .Where(c => c.At >= 0)
            .OrderBy(c => c.At)
            .Select(c => c.Candidate)
            .ToList();
        if (chosen.Count == 0)
            chosen.Add(candidates[0]);

        var operations = new JsonArray();
        var dependencies = new JsonArray();
        for (var i = 0; i < chosen.Count; i++)
        {
            var candidate = chosen[i];
            var parameters = new JsonObject();
            foreach (var parameter in candidate["parameters"]!.AsArray().Select(p => p!.AsObject()).Where(p => p["optional"]?.GetValue<bool>() != true))
            {
                var name = parameter["name"]!.GetValue<string>();
                var type = parameter["data_type"]!.GetValue<string>();
                var previousOutput = i == 0 ? null : chosen[i - 1]["outputs"]!.AsArray()
                    .Select(o => o!.AsObject())
                    .FirstOrDefault(o => o["data_type"]!.GetValue<string>() == type);
                if (previousOutput is not null)
                    parameters[name] = $"{{{{tasks.{i - 1}.result.{previousOutput["name"]!.GetValue<string>()}}}}}";
                else if (metadata.OfType<JsonObject>().Any(m => m.ContainsKey(name)))
                    parameters[name] = $"{{{{request.metadata.{name}}}}}";
                else if (type == "string")
                    parameters[name] = "{{request.instructions}}";
            }
            operations.Add(new JsonObject
            {
                ["name"] = candidate["task_name"]!.GetValue<string>(),
                ["task_definition"] = candidate["task_definition"]!.GetValue<string>(),
                ["instruction"] = $"Step {i + 1} of the request",
                ["index"] = i,
                ["parameters"] = parameters,
            });
            if (i > 0)
                dependencies.Add(new JsonObject { ["source_task_operation"] = i - 1, ["target_task_operation"] = i });
        }
        return new JsonObject
        {
            ["name"] = "Stand-in plan",
            ["task_operations"] = operations,
            ["dependencies"] = dependencies,
            ["explanation"] = $"The stand-in chained {string.Join(", then ", chosen.Select(c => c["task_name"]!.GetValue<string>()))}.",
        };
    }

    /// <summary>The candidate task definitions the planner listed in its first prompt (a JSON array on the line after the heading).</summary>
    public static List<JsonObject> Candidates(ChatRequest request)
    {
        var prompt = request.Messages.First(m => m.Role == "user").Content;
        var lines = prompt.Split('\n');
        var heading = Array.FindIndex(lines, l => l.StartsWith("## Candidate task definitions", StringComparison.Ordinal));
        if (heading < 0 || heading + 1 >= lines.Length)
            throw new InvalidOperationException("The planner's prompt lists no candidates: " + prompt);
        return JsonNode.Parse(lines[heading + 1])!.AsArray().Select(c => c!.AsObject()).ToList();
    }

    /// <summary>
    /// Fills every parameter the prompt lists as unresolved: with the request metadata's value of the same name when there
    /// is one, else with the request's instructions (strings) or a neutral value.
    /// </summary>
    private static JsonObject TaskParametersAnswer(ChatRequest request)
    {
        var prompt = request.Messages.First(m => m.Role == "user").Content;
        var instructions = Line(prompt, "Instructions: ") ?? "";
        var metadata = JsonNode.Parse(Line(prompt, "Metadata: ") ?? "[]")!.AsArray().OfType<JsonObject>().ToList();
        var lines = prompt.Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith("## Unresolved parameters", StringComparison.Ordinal));
        var parameters = new JsonArray();
        for (var i = start + 1; start >= 0 && i < lines.Length && lines[i].StartsWith("- ", StringComparison.Ordinal); i++)
        {
            var line = lines[i][2..];
            var name = line[..line.IndexOf(' ', StringComparison.Ordinal)];
            var type = line[(line.IndexOf('(', StringComparison.Ordinal) + 1)..].Split([',', ')'])[0];
            if (metadata.FirstOrDefault(m => m.ContainsKey(name)) is { } item)
            {
                parameters.Add(new JsonObject { ["name"] = name, ["value"] = item[name]?.DeepClone(), ["explanation"] = $"the request metadata's '{name}'" });
                continue;
            }
            JsonNode? value = type switch
            {
                "string" => instructions,
                "integer" or "number" => 1,
                "boolean" => true,
                "array" => new JsonArray(),
                "object" => new JsonObject(),
                _ => null,
            };
            parameters.Add(new JsonObject { ["name"] = name, ["value"] = value, ["explanation"] = "from the request's instructions" });
        }
        return new JsonObject { ["parameters"] = parameters };
    }

    private static string? Line(string text, string prefix) =>
        text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].TrimEnd('\r');

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One chat-completions request as received.</summary>
public sealed record ChatRequest(JsonObject Body, string Authorization)
{
    public string Model => Body["model"]?.GetValue<string>() ?? "";

    public string? SchemaName => Body["response_format"]?["json_schema"]?["name"]?.GetValue<string>();

    public JsonNode? Schema => Body["response_format"]?["json_schema"]?["schema"];

    public IReadOnlyList<(string Role, string Content)> Messages => Body["messages"]!.AsArray()
        .Select(m => (m!["role"]!.GetValue<string>(), ContentText(m["content"])))
        .ToList();

    /// <summary>Content is a string, or an array of parts of which the text ones count.</summary>
    private static string ContentText(JsonNode? content) => content switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonArray parts => string.Concat(parts.Select(p => p?["text"]?.GetValue<string>() ?? "")),
        _ => "",
    };
}

/// <summary>What the stand-in does with one request: fail with a status, wait first, or answer given content.</summary>
/// <param name="ErrorMessage">The failure's <c>error.message</c> (some endpoints echo what they were sent, the key included).</param>
public sealed record Reply(int? Status = null, int? RetryAfterSeconds = null, TimeSpan? Delay = null, string? Content = null, string? ErrorMessage = null)
{
    public static Reply Default { get; } = new();

    public static Reply Fail(int status, int? retryAfterSeconds = null, string? message = null) => new(status, retryAfterSeconds, ErrorMessage: message);

    public static Reply After(TimeSpan delay) => new(Delay: delay);

    public static Reply Answer(string content) => new(Content: content);

    public static Reply Answer(JsonNode content) => new(Content: content.ToJsonString());
}
