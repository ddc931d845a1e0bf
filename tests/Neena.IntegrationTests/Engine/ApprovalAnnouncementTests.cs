using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Neena.Domain.FlowRuns;
using Neena.Engine;
using Neena.IntegrationTests.Infrastructure;
using Neena.Persistence;
using Neena.Persistence.FlowRuns;
using Npgsql;
using static Neena.IntegrationTests.Engine.EngineTestSupport;

namespace Neena.IntegrationTests.Engine;

/// <summary>
/// <c>PUT /approve</c> notifies nothing in its transaction (issue 23): the run is announced after the commit, to this
/// process's engines in memory and to other processes by a NOTIFY that names the announcing process, which its own
/// engines skip.
/// </summary>
public sealed class ApprovalAnnouncementTests(NoEngineFactory factory) : IClassFixture<NoEngineFactory>
{
    private ApprovalAnnouncer Announcer => factory.Services.GetRequiredService<ApprovalAnnouncer>();

    [Fact]
    public void Payloads_name_a_run_with_or_without_the_announcing_process()
    {
        var run = Guid.NewGuid();
        Assert.True(ApprovalAnnouncer.TryParse($"abc:{run}", out var origin, out var parsed));
        Assert.Equal(("abc", run), (origin, parsed));
        Assert.True(ApprovalAnnouncer.TryParse(run.ToString(), out origin, out parsed));
        Assert.Equal((null, run), (origin, parsed));
        Assert.False(ApprovalAnnouncer.TryParse("abc:not a run", out _, out _));
        Assert.False(ApprovalAnnouncer.TryParse("", out _, out _));
    }

    [Fact]
    public async Task Put_approve_notifies_other_processes_once_after_the_commit_naming_its_origin()
    {
        var (client, _) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "announced", [new Op(0, echo, new { message = "hi" })]);
        var run = Guid.Parse(await CreateRunAsync(client, flow, await CreateRequestAsync(client, flow), approved: false));
        await using var listener = await ListenerAsync();

        var approve = await client.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={run}", null);
        Assert.True(approve.IsSuccessStatusCode, await approve.Content.ReadAsStringAsync());

        var first = await listener.NextAsync(p => ApprovalAnnouncer.TryParse(p, out _, out var id) && id == run, TimeSpan.FromSeconds(20));
        Assert.Equal($"{Announcer.Origin}:{run}", first);
        // Nothing else names the run: the approving statement itself sent no NOTIFY.
        Assert.Null(await listener.NextAsync(p => p.Contains(run.ToString(), StringComparison.Ordinal), TimeSpan.FromSeconds(1)));

        // A refused approval announces nothing.
        Assert.Equal(System.Net.HttpStatusCode.Conflict, (await client.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={run}", null)).StatusCode);
        Assert.Null(await listener.NextAsync(p => p.Contains(run.ToString(), StringComparison.Ordinal), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Announcements_faster_than_a_notify_are_all_delivered_exactly_once()
    {
        await using var dataSource = NpgsqlDataSource.Create(factory.ConnectionString);
        await using var announcer = new ApprovalAnnouncer(dataSource, NullLogger<ApprovalAnnouncer>.Instance);
        var heard = new ConcurrentBag<Guid>();
        announcer.Approved += heard.Add;
        await using var listener = await ListenerAsync();
        var runs = Enumerable.Range(0, 1200).Select(_ => Guid.NewGuid()).ToArray();
        foreach (var run in runs)
            announcer.Announce(run);

        var received = new List<Guid>();
        while (received.Count < runs.Length
            && await listener.NextAsync(p => p.StartsWith(announcer.Origin + ":", StringComparison.Ordinal), TimeSpan.FromSeconds(20)) is { } payload)
        {
            Assert.True(ApprovalAnnouncer.TryParse(payload, out _, out var id));
            received.Add(id);
        }
        Assert.Equal(runs.Order(), received.Order());
        Assert.Equal(runs.Order(), heard.Order());
        announcer.Approved -= heard.Add;
        announcer.Announce(Guid.NewGuid());
        Assert.Equal(1200, heard.Count); // no longer subscribed
    }

    [Fact]
    public async Task The_approving_process_engine_starts_the_run_from_memory_and_skips_its_own_notify()
    {
        var (client, tenant) = await ClientAsync(factory);
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var flow = await CreateFlowAsync(client, "from memory", [new Op(0, echo, new { message = "now" })]);
        var request = await CreateRequestAsync(client, flow);
        var engine = FlowRunEngine.Create(factory.Services, new EngineOptions
        {
            InstanceId = "engine-announced",
            PollIntervalSeconds = 600, // only wake-ups can start the runs below
            ShutdownGraceSeconds = 0.2,
        });
        await engine.StartAsync(CancellationToken.None);
        try
        {
            await engine.Listening.WaitAsync(TimeSpan.FromSeconds(30));
            await Task.Delay(500); // the look the engine takes once it listens is over

            // Approved without any announcement, then named by a NOTIFY that says it came from this process: skipped.
            var quiet = Guid.Parse(await CreateRunAsync(client, flow, request, approved: false));
            await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
            await using (var connection = await db.OpenConnectionAsync())
            {
                var (result, _) = await RunLifecycle.ApproveAndReadAsync(connection, new RunActor(tenant.OrganizationId, tenant.Email, DateTime.UtcNow, null), quiet, CancellationToken.None);
                Assert.True(result.Applied);
            }
            await NotifyAsync(db, $"{Announcer.Origin}:{quiet}");
            await Task.Delay(1500);
            Assert.Equal(RunStatus.InProgress, Status(await GetRunAsync(client, quiet.ToString())));
            Assert.Equal(0, engine.NotifiedRunsWaiting);

            // The same NOTIFY from another process starts it.
            await NotifyAsync(db, $"another-process:{quiet}");
            Assert.Equal(RunStatus.Completed, Status(await WaitForRunAsync(client, quiet.ToString(), timeout: TimeSpan.FromSeconds(20))));

            // PUT /approve: its own NOTIFY is skipped, so the run starts from the announcement in memory.
            var approved = await CreateRunAsync(client, flow, request, approved: false);
            var approve = await client.PutAsync($"/api/v1/flow_runs/approve?flow_run_id={approved}", null);
            Assert.True(approve.IsSuccessStatusCode, await approve.Content.ReadAsStringAsync());
            Assert.Equal(RunStatus.Completed, Status(await WaitForRunAsync(client, approved, timeout: TimeSpan.FromSeconds(20))));
        }
        finally
        {
            await engine.StopAsync(CancellationToken.None);
            engine.Dispose();
        }
    }

    private static async Task NotifyAsync(NpgsqlDataSource db, string payload)
    {
        await using var notify = db.CreateCommand("SELECT pg_notify($1, $2)");
        notify.Parameters.AddWithValue(FlowRunNotifications.Approved);
        notify.Parameters.AddWithValue(payload);
        await notify.ExecuteNonQueryAsync();
    }

    private async Task<Listener> ListenerAsync()
    {
        var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        var listener = new Listener(connection);
        await using (var listen = new NpgsqlCommand($"LISTEN {FlowRunNotifications.Approved}", connection))
            await listen.ExecuteNonQueryAsync();
        return listener;
    }

    /// <summary>A session of "another process" that listens for approvals.</summary>
    private sealed class Listener : IAsyncDisposable
    {
        private readonly NpgsqlConnection _connection;
        private readonly Queue<string> _payloads = new();

        public Listener(NpgsqlConnection connection)
        {
            _connection = connection;
            _connection.Notification += (_, e) => _payloads.Enqueue(e.Payload);
        }

        /// <summary>The next payload that matches, skipping others; null when none comes in time.</summary>
        public async Task<string?> NextAsync(Func<string, bool> matches, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                while (_payloads.TryDequeue(out var payload))
                    if (matches(payload))
                        return payload;
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !await _connection.WaitAsync(left))
                    return null;
            }
        }

        public ValueTask DisposeAsync() => _connection.DisposeAsync();
    }
}
