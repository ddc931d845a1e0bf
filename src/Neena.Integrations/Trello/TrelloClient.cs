using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Neena.Integrations.Credentials;
using Neena.Integrations.Platforms;

namespace Neena.Integrations.Trello;

/// <summary>
/// The Trello REST API v1 (https://developer.atlassian.com/cloud/trello/rest/), as a typed <see cref="HttpClient"/> whose
/// base address is <c>Integrations:Trello:BaseUrl</c>. Parameters travel in the query string, as Trello documents them;
/// the key and token travel in Trello's documented <c>Authorization: OAuth oauth_consumer_key="…", oauth_token="…"</c>
/// header rather than as <c>key</c>/<c>token</c> query parameters, so that no URL (which proxies and logs record) carries them.
/// </summary>
public sealed partial class TrelloClient(HttpClient http)
{
    public const string Platform = "Trello";

    /// <summary>Trello's JSON: camelCase names (<c>idList</c>, <c>shortUrl</c>).</summary>
    private static readonly JsonSerializerOptions Wire = new(JsonSerializerDefaults.Web);

    public Task<T> GetAsync<T>(IntegrationCredentials credentials, string path, CancellationToken cancellationToken, params (string Name, string? Value)[] query) =>
        SendAsync<T>(HttpMethod.Get, credentials, path, query, cancellationToken);

    /// <summary>Sends one request and reads the answer as <typeparamref name="T"/>; parameters whose value is null are left out.</summary>
    /// <exception cref="TaskFailedException">Trello refused the request, or answered something unreadable.</exception>
    /// <exception cref="TransientTaskException">Trello was unreachable, failing or rate limiting, and the request may be sent again.</exception>
    public async Task<T> SendAsync<T>(
        HttpMethod method,
        IntegrationCredentials credentials,
        string path,
        IEnumerable<(string Name, string? Value)> query,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(credentials);
        using var request = new HttpRequestMessage(method, path + QueryString(query));
        request.Headers.TryAddWithoutValidation("Authorization", AuthorizationHeader(credentials));
        request.Headers.Accept.ParseAdd("application/json");

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            throw PlatformFailures.FromException(Platform, method, path, ex, cancellationToken);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw PlatformFailures.FromStatus(Platform, method, path, response, PlatformFailures.Redact(body, credentials));
            try
            {
                return JsonSerializer.Deserialize<T>(body, Wire)
                    ?? throw new JsonException("The answer is null.");
            }
            catch (JsonException ex)
            {
                throw new TaskFailedException($"{Platform} answered {method} {path} with JSON this task does not understand: {ex.Message}", ex);
            }
        }
    }

    /// <summary>
    /// A Trello id or short link as one path segment. Both are alphanumeric; anything else is refused before it can reach
    /// another path (<c>..</c>, a slash) on the API.
    /// </summary>
    /// <exception cref="TaskInputException">The value is not alphanumeric.</exception>
    public static string Id(string value, string field)
    {
        if (string.IsNullOrEmpty(value) || !IdPattern().IsMatch(value))
            throw new TaskInputException(field, $"Input field '{field}' must be a Trello id (letters and digits only); got '{value}'.");
        return value;
    }

    private static string AuthorizationHeader(IntegrationCredentials credentials)
    {
        var key = credentials.Require(TrelloCredentials.ApiKey);
        var token = credentials.Require(TrelloCredentials.Token);
        if (!HeaderValuePattern().IsMatch(key) || !HeaderValuePattern().IsMatch(token))
        {
            throw new TaskFailedException(
                "The Trello credential's api_key or token holds characters no Trello key or token has; store the credential again.");
        }

        return $"OAuth oauth_consumer_key=\"{key}\", oauth_token=\"{token}\"";
    }

    private static string QueryString(IEnumerable<(string Name, string? Value)> query)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in query)
        {
            if (value is null)
                continue;
            text.Append(text.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        }

        return text.ToString();
    }

    [GeneratedRegex("^[A-Za-z0-9]{1,64}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[A-Za-z0-9._~+/=-]{1,512}$")]
    private static partial Regex HeaderValuePattern();
}
