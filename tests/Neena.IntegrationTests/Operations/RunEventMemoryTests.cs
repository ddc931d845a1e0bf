using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Neena.Api.RunEvents;
using Neena.IntegrationTests.Infrastructure;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Operations;

/// <summary>As <see cref="LargeRunFactory"/>, but stalled readers are kept for a minute: long enough to count what they hold.</summary>
public sealed class PatientLargeRunFactory : LargeRunFactory
{
    protected override string SlowReaderSeconds => "60";
}

/// <summary>What live-event readers of a large run cost the server while they read nothing (issue 23, item 3).</summary>
public sealed class RunEventMemoryTests(PatientLargeRunFactory factory) : IClassFixture<PatientLargeRunFactory>
{
    [Fact]
    public async Task Events_StalledReadersOfALargeRun_HoldOneReadOfItNotOneEach()
    {
        const int readers = 8;
        var tenant = await factory.CreateTenantAsync();
        var client = factory.Http(tenant.ApiKey);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "ten echoes", Enumerable.Range(0, 10).Select(i => new Engine.Op(i, echo)));
        var request = await CreateRequestAsync(client, flow, metadata: LargeRunTests.LargeMetadata().Metadata);
        var run = await CreateRunAsync(client, flow, request);
        Assert.Equal("completed", Status(await WaitForRunAsync(client, run, timeout: TimeSpan.FromMinutes(2))));
        var runBytes = (await client.GetByteArrayAsync($"/api/v1/flow_runs/?id={run}")).Length;
        var hub = factory.Services.GetRequiredService<RunEventHub>();
        using var stalledClient = factory.StalledHttp(tenant.ApiKey);

        var before = GC.GetTotalMemory(forceFullCollection: true);
        var streams = new List<SseClient>();
        try
        {
            for (var i = 0; i < readers; i++)
            {
                // The answer's headers come after the stream has read the run: from here on each holds whatever it keeps.
                var (status, stream, _) = await SseClient.OpenAsync(stalledClient, $"/api/v1/flow_runs/events?id={run}");
                Assert.Equal(HttpStatusCode.OK, status);
                streams.Add(stream!);
            }
            Assert.Equal(readers, hub.OpenStreams);
            var held = GC.GetTotalMemory(forceFullCollection: true) - before;

            // Each stalled stream used to hold its own read of the run and the whole event it was writing (a copy of it in
            // the response pipe too): many times the run for eight readers. They share one read now, and each holds at most
            // the pipe's buffer and the one value being written.
            Assert.True(held < 4L * runBytes, $"{readers} stalled readers hold {held:N0} bytes; the run's JSON is {runBytes:N0}");
        }
        finally
        {
            foreach (var stream in streams)
                await stream.DisposeAsync();
        }
    }
}
