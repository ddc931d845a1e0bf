using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Neena.Integrations.Credentials;
using Neena.Integrations.Platforms;

namespace Neena.Integrations.Slack;

/// <summary>
/// The Slack Web API (https://api.slack.com/web), as a typed <see cref="HttpClient"/> whose base address is
/// <c>Integrations:Slack:BaseUrl</c>. The bot token travels as <c>Authorization: Bearer</c>; read methods are sent as GET
/// with their arguments in the query string, write methods as POST with a JSON body, both as Slack documents them.
/// An answer with <c>ok: false</c> fails the task with Slack's <c>error</c> code.
/// </summary>
public sealed partial class SlackClient(HttpClient http)
{
    public const string Platform = "Slack";

    private static readonly JsonSerializerOptions Wire = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    // Slack's documented error codes for a failure on its side; whether a repeat is safe depends on the method.
    private static readonly string[] ServerErrors = ["internal_error", "fatal_error", "service_unavailable", "request_timeout"];

    /// <summary>A read method (conversations.list, …): GET, arguments in the query string; null arguments are left out.</summary>
    internal Task<T> ReadAsync<T>(IntegrationCredentials credentials, string method, IEnumerable<(string Name, string? Value)> arguments, CancellationToken cancellationToken)
        where T : SlackResponse
    {
        var query = new StringBuilder();
        foreach (var (name, value) in arguments)
        {
            if (value is not null)
                query.Append(query.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        }

        return CallAsync<T>(HttpMethod.Get, credentials, method, method + query, content: null, cancellationToken);
    }

    /// <summary>A write method (chat.postMessage, …): POST with a JSON body; null arguments are left out.</summary>
    internal Task<T> WriteAsync<T>(IntegrationCredentials credentials, string method, JsonObject arguments, CancellationToken cancellationToken)
        where T : SlackResponse
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var body = new JsonObject();
        foreach (var (name, value) in arguments)
        {
            if (value is not null)
                body[name] = value.DeepClone();
        }

        // Slack wants the charset stated for JSON bodies.
        var content = new StringContent(body.ToJsonString(), new UTF8Encoding(false), "application/json");
        content.Headers.ContentType!.CharSet = "utf-8";
        return CallAsync<T>(HttpMethod.Post, credentials, method, method, content, cancellationToken);
    }

    private async Task<T> CallAsync<T>(HttpMethod verb, IntegrationCredentials credentials, string method, string relativeUrl, HttpContent? content, CancellationToken cancellationToken)
        where T : SlackResponse
    {
        ArgumentNullException.ThrowIfNull(credentials);
        var token = credentials.Require(SlackCredentials.BotToken);
        if (!TokenPattern().IsMatch(token))
            throw new TaskFailedException("The Slack credential's bot_token holds characters no Slack token has; store the credential again.");

        using var request = new HttpRequestMessage(verb, relativeUrl) { Content = content };
        request.Headers.Authorization = new("Bearer", token);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            throw PlatformFailures.FromException(Platform, verb, method, ex, cancellationToken);
        }

        using (response)
        {
            var body = PlatformFailures.Redact(await response.Content.ReadAsStringAsync(cancellationToken), credentials);
            if (!response.IsSuccessStatusCode)
                throw PlatformFailures.FromStatus(Platform, verb, method, response, body);

            T answer;
            try
            {
                answer = JsonSerializer.Deserialize<T>(body, Wire) ?? throw new JsonException("The answer is null.");
            }
            catch (JsonException ex)
            {
                throw new TaskFailedException($"{Platform} answered {method} with JSON this task does not understand: {ex.Message}", ex);
            }

            if (answer.Ok)
                return answer;
            var error = answer.Error ?? "unknown_error";
            if (error == "ratelimited")
            {
                throw new TransientTaskException($"{Platform} {method} failed: ratelimited (Slack is rate limiting this app).")
                {
                    RetryAfter = PlatformResilience.RetryAfter(response),
                };
            }

            if (ServerErrors.Contains(error, StringComparer.Ordinal) && PlatformResilience.IsSafeToRepeat(verb))
                throw new TransientTaskException($"{Platform} {method} failed: {error}.");
            throw new TaskFailedException($"{Platform} {method} failed: {error}");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._~+/=-]{1,512}$")]
    private static partial Regex TokenPattern();
}
