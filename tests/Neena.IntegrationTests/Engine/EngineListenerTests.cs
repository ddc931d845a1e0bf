using Neena.Engine;
using Npgsql;

namespace Neena.IntegrationTests.Engine;

/// <summary>
/// The pooled data source hands connections back without a session reset (issue 23), so the engine's listening session
/// must not come from it: once the engine stops, no session is left that still carries the listener's settings.
/// </summary>
public sealed class EngineListenerTests(NoEngineFactory factory) : IClassFixture<NoEngineFactory>
{
    private const string ListenerName = "neena-engine-listener";

    [Fact]
    public async Task A_stopped_engine_leaves_no_listening_session_behind_in_the_pool()
    {
        await using var db = NpgsqlDataSource.Create(factory.ConnectionString);
        var engine = FlowRunEngine.Create(factory.Services, new EngineOptions { InstanceId = "engine-listener", ShutdownGraceSeconds = 0.2 });
        await engine.StartAsync(CancellationToken.None);
        await engine.Listening.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, await ListenerSessionsAsync(db));

        await engine.StopAsync(CancellationToken.None);
        engine.Dispose();

        // A closed unpooled session goes away at once; a pooled one would stay idle (and listening) until the pool prunes it.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        long left;
        while ((left = await ListenerSessionsAsync(db)) > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Equal(0, left);
    }

    private static async Task<long> ListenerSessionsAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1");
        command.Parameters.AddWithValue(ListenerName);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
