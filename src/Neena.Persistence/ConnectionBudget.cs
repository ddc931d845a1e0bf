using Npgsql;

namespace Neena.Persistence;

/// <summary>
/// Whether one instance's connections fit in what the PostgreSQL server allows: its pool's <c>Maximum Pool Size</c>
/// plus its listeners' dedicated connections, against <c>max_connections</c> less the slots reserved for superusers
/// (and, from PostgreSQL 16, <c>reserved_connections</c>). Past that, a busy instance is refused connections by the
/// server (53300) instead of queueing for one of its own pooled connections.
/// </summary>
public static class ConnectionBudget
{
    /// <summary>
    /// Dedicated LISTEN connections one API instance keeps: one, shared by the engine, trigger runs, run events,
    /// credential changes, the scheduler and notification delivery (<see cref="NotificationHub"/>).
    /// </summary>
    public const int ListenerConnections = 1;

    /// <param name="Problem">Null when the instance fits; else what to change, in words.</param>
    public sealed record Result(int MaxPoolSize, int Listeners, int MaxConnections, int Reserved, string? Problem);

    public static async Task<Result> CheckAsync(NpgsqlDataSource dataSource, int listeners, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var pool = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).MaxPoolSize;
        await using var command = dataSource.CreateCommand(
            "SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int, " +
            "coalesce(current_setting('reserved_connections', true)::int, 0)");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var max = reader.GetInt32(0);
        var reserved = reader.GetInt32(1) + reader.GetInt32(2);
        var available = max - reserved;
        var problem = pool + listeners <= available
            ? null
            : $"Maximum Pool Size ({pool}) plus {listeners} listener connections exceeds what the PostgreSQL server allows " +
              $"(max_connections {max} less {reserved} reserved = {available}): under load requests will fail while the " +
              $"server refuses connections. Lower Maximum Pool Size in the connection string (the default is " +
              $"{PersistenceServiceCollectionExtensions.DefaultMaxPoolSize}) or raise max_connections; with several instances, " +
              "their sum must fit.";
        return new Result(pool, listeners, max, reserved, problem);
    }
}
