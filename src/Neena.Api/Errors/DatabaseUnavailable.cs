using Npgsql;

namespace Neena.Api.Errors;

/// <summary>
/// Whether an exception means the database cannot serve this request now (out of connections, restarting, a transient
/// network fault) rather than that the request or the code is wrong: such a request is answered 503 with
/// <c>Retry-After</c>, never 500. EF Core wraps what Npgsql throws (in a <c>DbUpdateException</c>, or an
/// <c>InvalidOperationException</c> "likely due to a transient failure"), so the whole chain of inner exceptions is looked at.
/// </summary>
public static class DatabaseUnavailable
{
    /// <summary>Seconds a client is asked to wait before trying again.</summary>
    public const string RetryAfterSeconds = "2";

    public const string Detail = "The database is busy or unavailable; retry later.";

    public static bool Is(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // The server's own limits: max_connections (also a role's or a database's CONNECTION LIMIT), or starting up.
                case PostgresException { SqlState: PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.InsufficientResources }:
                    return true;
                // Includes the pool's "The connection pool has been exhausted" (a timeout waiting for a pooled connection).
                case NpgsqlException { IsTransient: true }:
                    return true;
                case NpgsqlException:
                    return false;
            }
        }
        return false;
    }
}
