using Neena.Persistence;
using Npgsql;

namespace Neena.Api.Workers;

/// <summary>
/// At start-up, warns when this instance's pool and listeners could open more connections than the PostgreSQL server
/// allows (<see cref="ConnectionBudget"/>). A warning, not a refusal: the sum is only a worst case, and the server may
/// be shared in ways one instance cannot see; what matters is that an operator is told before the 53300s come.
/// </summary>
internal sealed class ConnectionBudgetCheck(NpgsqlDataSource dataSource, ILogger<ConnectionBudgetCheck> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var result = await ConnectionBudget.CheckAsync(dataSource, ConnectionBudget.ListenerConnections, stoppingToken);
            if (result.Problem is not null)
                logger.LogWarning("Database connections: {Problem}", result.Problem);
            else
                logger.LogInformation(
                    "Database connections: pool of {MaxPoolSize} plus {Listeners} listeners, within max_connections {MaxConnections} less {Reserved} reserved",
                    result.MaxPoolSize, result.Listeners, result.MaxConnections, result.Reserved);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException && !stoppingToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Database connections: could not compare the pool with the server's max_connections");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
