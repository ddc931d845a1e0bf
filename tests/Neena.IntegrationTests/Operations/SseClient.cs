using System.Net;
using System.Text.Json.Nodes;

namespace Neena.IntegrationTests.Operations;

/// <summary>One Server-Sent Event as a client sees it.</summary>
public sealed record SseEvent(string? Id, string Event, string Data)
{
    public JsonNode Json => JsonNode.Parse(Data)!;
}

/// <summary>Reads an event stream over a real HTTP connection, line by line, as EventSource does.</summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseClient(HttpResponseMessage response, Stream stream)
    {
        _response = response;
        _reader = new StreamReader(stream);
    }

    public List<string> Comments { get; } = [];

    public static async Task<(HttpStatusCode Status, SseClient? Client, HttpResponseMessage Response)> OpenAsync(HttpClient client, string url, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
            return (response.StatusCode, null, response);
        Assert.StartsWith("text/event-stream", response.Content.Headers.ContentType!.ToString());
        return (response.StatusCode, new SseClient(response, await response.Content.ReadAsStreamAsync()), response);
    }

    /// <summary>The next event, or null when the server closed the stream.</summary>
    public async Task<SseEvent?> NextAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        string? id = null;
        string? name = null;
        var data = new List<string>();
        while (true)
        {
            var line = await _reader.ReadLineAsync(cancel.Token);
            if (line is null)
                return null;
            if (line.Length == 0)
            {
                if (data.Count > 0)
                    return new SseEvent(id, name ?? "message", string.Join('\n', data));
                continue;
            }
            if (line.StartsWith(':'))
                Comments.Add(line);
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
                id = line[4..];
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
                name = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
                data.Add(line[6..]);
        }
    }

    /// <summary>Every event until the server closes the stream.</summary>
    public async Task<List<SseEvent>> ToEndAsync(TimeSpan? timeout = null)
    {
        var events = new List<SseEvent>();
        while (await NextAsync(timeout) is { } next)
            events.Add(next);
        return events;
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
