using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Neena.Agent.Preparation;
using Neena.Api.RunEvents;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Operations;

/// <summary>The server with its engine on a real port; a reader that takes no event for two seconds is dropped.</summary>
public class LargeRunFactory : NeenaFactory
{
    public LargeRunFactory() => UseKestrel(0);

    /// <summary><c>RunEvents:SlowReaderSeconds</c>.</summary>
    protected virtual string SlowReaderSeconds => "2";

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Engine:PollIntervalSeconds"] = "1",
        ["RunEvents:HeartbeatSeconds"] = "1",
        ["RunEvents:SlowReaderSeconds"] = SlowReaderSeconds,
    };

    public HttpClient Http(string apiKey) => Http(apiKey, new SocketsHttpHandler());

    /// <summary>
    /// A client whose sockets take at most a few KiB before the sender must wait: without it the kernel's buffers (several
    /// MB on loopback, auto-tuned) could hold a whole stream, and a client that reads nothing would still get its end.
    /// </summary>
    public HttpClient StalledHttp(string apiKey) => Http(apiKey, new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            // Set before connecting, so the small window is what the connection negotiates.
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    });

    private HttpClient Http(string apiKey, SocketsHttpHandler handler) => KestrelClientWithBearer(apiKey, TimeSpan.FromMinutes(2), handler);
}

/// <summary>A run of 10 Echo tasks over 0.9 MB of request metadata, which every task echoes (issue 18, item 9).</summary>
public sealed class LargeRunTests(LargeRunFactory factory) : IClassFixture<LargeRunFactory>
{
    private const int Tasks = 10;

    /// <summary>The metadata's JSON length: a long message and many small strings (whose quotes a prompt must escape).</summary>
    internal static (object Metadata, int Length) LargeMetadata()
    {
        var metadata = new[] { new { message = new string('m', 450_000), data = Enumerable.Range(0, 50_000).Select(i => "v" + i).ToArray() } };
        return (metadata, System.Text.Json.JsonSerializer.Serialize(metadata).Length);
    }

    private async Task<(HttpClient Client, string Run, int MetadataLength)> CompletedLargeRunAsync()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = factory.Http(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "ten echoes", Enumerable.Range(0, Tasks).Select(i => new Engine.Op(i, echo)));
        var (metadata, length) = LargeMetadata();
        Assert.InRange(length, 850_000, 1_000_000);
        var request = await CreateRequestAsync(client, flow, metadata: metadata);
        var run = await CreateRunAsync(client, flow, request);
        var final = await WaitForRunAsync(client, run, timeout: TimeSpan.FromMinutes(2));
        Assert.Equal("completed", Status(final));
        return (client, run, length);
    }

    [Fact]
    public async Task Read_TenEchoesOfLargeMetadata_AnswerIsBoundedByTheResultsNotByCopiesOfTheRequest()
    {
        var (client, run, metadataLength) = await CompletedLargeRunAsync();

        var body = await client.GetStringAsync($"/api/v1/flow_runs/?id={run}");

        // Each task's result is its echo of the metadata (that is its output, kept whole); what preparation recorded
        // around it (prompt and answer) is capped, where before it repeated the request twice more per task (36 MB).
        var recordBound = 4 * (PreparationRecord.MaxChars + 100);
        Assert.True(body.Length < Tasks * (metadataLength + 2 * recordBound) + 1_000_000, $"the run's JSON is {body.Length:N0} characters");
        foreach (var task in JsonNode.Parse(body)!["task_runs"]!.AsArray())
        {
            var prompt = task!["task_prep_prompt"]!.ToJsonString();
            var answer = task["task_prep_answer"]!.ToJsonString();
            Assert.True(prompt.Length < recordBound, $"task_prep_prompt is {prompt.Length:N0} characters");
            Assert.True(answer.Length < recordBound, $"task_prep_answer is {answer.Length:N0} characters");
            Assert.Contains("…[truncated ", task["task_prep_prompt"]!["messages"]![1]!["content"]!.GetValue<string>());
            // The task itself received the whole value: the echo is complete.
            Assert.Equal(450_000, task["result"]!["message"]!.GetValue<string>().Length);
        }
    }

    [Fact]
    public async Task Events_ReaderThatStopsReading_IsDroppedWhileANormalReaderGetsEverything()
    {
        var (client, run, _) = await CompletedLargeRunAsync();
        var hub = factory.Services.GetRequiredService<RunEventHub>();
        using var stalledClient = factory.StalledHttp(client.DefaultRequestHeaders.Authorization!.Parameter!);

        // Several MB of events (ten task runs, then the run with all of them): more than the sockets buffer, so the
        // server's writes to a client that reads nothing wait.
        var (slowStatus, slow, _) = await SseClient.OpenAsync(stalledClient, $"/api/v1/flow_runs/events?id={run}");
        Assert.Equal(HttpStatusCode.OK, slowStatus);
        await using var stalled = slow!;
        var (status, normal, _) = await SseClient.OpenAsync(client, $"/api/v1/flow_runs/events?id={run}");
        Assert.Equal(HttpStatusCode.OK, status);
        await using (normal)
        {
            var events = await normal!.ToEndAsync();
            Assert.Equal(Enumerable.Repeat("task_run", Tasks).Append("run").Append("end"), events.Select(e => e.Event));
        }

        // The stalled client never closes its side: only the server can have freed the place.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (hub.OpenStreams > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Equal(0, hub.OpenStreams);

        // What reaches it is cut short: never the end.
        var sawEnd = false;
        try
        {
            sawEnd = (await stalled.ToEndAsync(TimeSpan.FromSeconds(30))).Any(e => e.Event == "end");
        }
        catch (IOException)
        {
        }
        Assert.False(sawEnd);
    }
}
