using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Neena.Engine;
using Neena.Persistence;
using Npgsql;

namespace Neena.IntegrationTests.Engine;

/// <summary>
/// PostgreSQL wakes every listening session of a database on every NOTIFY, and each woken session commits a transaction
/// of its own to read the queue: an instance keeps one listening session, shared by all its subscribers (issue 23).
/// </summary>
public sealed class NotificationHubTests(NoEngineFactory factory) : IClassFixture<NoEngineFactory>
{
    [Fact]
    public async Task An_instance_listens_on_one_session_whatever_subscribes()
    {
        _ = factory.Services;
        await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
        // Every session Neena names: the workers of the instance have all subscribed by now (they start with the host).
        Assert.True(await EventuallyAsync(async () => await NamedSessionsAsync(db) == 1), "the instance's listening session did not appear");
        Assert.Equal(1, await SessionsAsync(db, NotificationHub.ApplicationName));

        var engine = FlowRunEngine.Create(factory.Services, new EngineOptions { InstanceId = "hub-engine", ShutdownGraceSeconds = 0.2 });
        await engine.StartAsync(CancellationToken.None);
        await engine.Listening.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, await NamedSessionsAsync(db));

        await engine.StopAsync(CancellationToken.None);
        engine.Dispose();
        Assert.Equal(1, await NamedSessionsAsync(db));
    }

    [Fact]
    public async Task Notifications_reach_the_subscribers_of_their_channel_and_the_session_closes_with_the_hub()
    {
        await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
        _ = factory.Services;
        Assert.True(await EventuallyAsync(async () => await SessionsAsync(db, NotificationHub.ApplicationName) == 1));
        await using var listenerSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(factory.ConnectionString) { Pooling = false }.ConnectionString);
        var hub = new NotificationHub(listenerSource, NullLogger<NotificationHub>.Instance, Options.Create(new NotificationHubOptions()));
        var approved = new ConcurrentQueue<string>();
        var cancelled = new ConcurrentQueue<string>();
        var faultyCalls = 0;
        var lost = 0;
        var firstListening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lateListening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stopFaulty = new CancellationTokenSource();
        using var stopAll = new CancellationTokenSource();

        var faulty = hub.ListenAsync([FlowRunNotifications.Approved], (_, _) =>
        {
            Interlocked.Increment(ref faultyCalls);
            throw new InvalidOperationException("a subscriber's bug");
        }, () => firstListening.TrySetResult(), stopFaulty.Token, onLost: () => Interlocked.Increment(ref lost));
        await firstListening.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // Subscribing to a session that already listens: told so at once, without a new session.
        var late = hub.ListenAsync([FlowRunNotifications.Approved, FlowRunNotifications.Cancelled], (_, e) =>
            (e.Channel == FlowRunNotifications.Approved ? approved : cancelled).Enqueue(e.Payload), () => lateListening.TrySetResult(), stopAll.Token);
        await lateListening.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(2, await SessionsAsync(db, NotificationHub.ApplicationName));

        await NotifyAsync(db, FlowRunNotifications.Approved, "one");
        await NotifyAsync(db, FlowRunNotifications.Cancelled, "two");
        await NotifyAsync(db, FlowRunNotifications.Events, "nobody's");
        Assert.True(await EventuallyAsync(() => Task.FromResult(approved.Count == 1 && cancelled.Count == 1)), "a subscriber's fault stopped the others' notifications");
        Assert.Equal(["one"], approved);
        Assert.Equal(["two"], cancelled);
        Assert.Equal(1, Volatile.Read(ref faultyCalls));

        await stopFaulty.CancelAsync();
        await faulty;
        Assert.Equal(1, Volatile.Read(ref lost));
        await NotifyAsync(db, FlowRunNotifications.Approved, "three");
        Assert.True(await EventuallyAsync(() => Task.FromResult(approved.Count == 2)));
        Assert.Equal(1, Volatile.Read(ref faultyCalls));

        await stopAll.CancelAsync();
        await late;
        await hub.DisposeAsync();
        // Unpooled: the session ends with the hub, and no listening session is left in a pool.
        Assert.True(await EventuallyAsync(async () => await SessionsAsync(db, NotificationHub.ApplicationName) == 1), "the hub's session outlived it");
    }

    private static async Task NotifyAsync(NpgsqlDataSource db, string channel, string payload)
    {
        await using var command = db.CreateCommand("SELECT pg_notify($1, $2)");
        command.Parameters.AddWithValue(channel);
        command.Parameters.AddWithValue(payload);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> NamedSessionsAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'neena-%'");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> SessionsAsync(NpgsqlDataSource db, string applicationName)
    {
        await using var command = db.CreateCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1");
        command.Parameters.AddWithValue(applicationName);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
                return true;
            await Task.Delay(50);
        }
        return await condition();
    }
}
