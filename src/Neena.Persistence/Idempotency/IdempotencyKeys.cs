using Dapper;
using Neena.Persistence.Sql;
using Npgsql;

namespace Neena.Persistence.Idempotency;

/// <summary>A stored first answer: what a repeat of its request gets back.</summary>
public sealed record StoredAnswer(int StatusCode, string? ContentType, string? Location, byte[]? Body);

/// <summary>What the row of a key says when a request tries to reserve it.</summary>
public abstract record Reservation
{
    /// <summary>The key was free (or expired, or abandoned): this request does the work and records its answer.</summary>
    public sealed record Owned : Reservation;

    /// <summary>The key belongs to a request with other content (method, path, query or body).</summary>
    public sealed record Mismatch : Reservation;

    /// <summary>The first request with the key is still working.</summary>
    public sealed record InProgress : Reservation;

    /// <summary>The first request finished; its answer is replayed.</summary>
    public sealed record Completed(StoredAnswer Answer) : Reservation;
}

/// <summary>
/// The <c>idempotency_keys</c> table, on its own autocommitted statements (never the request's transaction): the
/// reservation must be visible to a concurrent duplicate before the work starts, and survive the work's rollback. The
/// primary key (organization, key) is what makes two racing first requests impossible: one INSERT wins, the other
/// conflicts and waits for the winner's answer.
/// </summary>
public sealed class IdempotencyKeys(NpgsqlDataSource dataSource)
{
    private static readonly string Insert = $"""
        INSERT INTO idempotency_keys (organization_id, key, fingerprint, locked_until, expires_at)
        VALUES (@{TenantSql.Parameter}, @key, @fingerprint, now() + @reservation, now() + @reservation)
        ON CONFLICT (organization_id, key) DO NOTHING
        """;

    private static readonly string RemoveDead = $"""
        DELETE FROM idempotency_keys k WHERE {TenantSql.Condition("k")} AND k.key = @key
          AND (k.expires_at < now() OR (k.status_code IS NULL AND k.locked_until < now()))
        """;

    private static readonly string Complete = $"""
        UPDATE idempotency_keys k SET status_code = @status_code, content_type = @content_type, location = @location, body = @body,
            expires_at = now() + @retention
        WHERE {TenantSql.Condition("k")} AND k.key = @key
        """;

    private static readonly string Release =
        $"DELETE FROM idempotency_keys k WHERE {TenantSql.Condition("k")} AND k.key = @key AND k.status_code IS NULL";

    private static readonly string Read = $"""
        SELECT k.fingerprint, k.status_code, k.content_type, k.location, k.body,
               CASE WHEN k.status_code IS NULL THEN k.locked_until >= now() ELSE k.expires_at >= now() END AS live
        FROM idempotency_keys k WHERE {TenantSql.Condition("k")} AND k.key = @key
        """;

    private const string DeleteExpired = """
        DELETE FROM idempotency_keys WHERE (organization_id, key) IN (
            SELECT organization_id, key FROM idempotency_keys WHERE expires_at < now() LIMIT @batch_size)
        """;

    public async Task<Reservation> ReserveAsync(Tenant tenant, string key, byte[] fingerprint, TimeSpan reservation, CancellationToken cancellationToken)
    {
        // Two rounds at most: a row that expired or was abandoned is removed, then the INSERT is tried once more.
        for (var round = 0; round < 2; round++)
        {
            var parameters = Key(tenant, key);
            parameters.Add("fingerprint", fingerprint);
            parameters.Add("reservation", reservation);
            if (await ExecuteAsync(Insert, parameters, cancellationToken) == 1)
                return new Reservation.Owned();
            var existing = await ReadAsync(tenant, key, cancellationToken);
            if (existing is null)
                continue;
            if (!existing.Live)
            {
                await ExecuteAsync(RemoveDead, Key(tenant, key), cancellationToken);
                continue;
            }
            if (!existing.Fingerprint.AsSpan().SequenceEqual(fingerprint))
                return new Reservation.Mismatch();
            return existing.Answer() is { } answer ? new Reservation.Completed(answer) : new Reservation.InProgress();
        }
        // Taken again between the rounds by a request that is now working on it.
        return new Reservation.InProgress();
    }

    /// <summary>The answer of a key whose first request was working, once there is one; null while it still works or when it gave the key up.</summary>
    public async Task<(bool Exists, StoredAnswer? Answer)> PollAsync(Tenant tenant, string key, CancellationToken cancellationToken)
    {
        var row = await ReadAsync(tenant, key, cancellationToken);
        return row is null ? (false, null) : (true, row.Answer());
    }

    public async Task CompleteAsync(Tenant tenant, string key, StoredAnswer answer, TimeSpan retention, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var parameters = Key(tenant, key);
        parameters.Add("status_code", answer.StatusCode);
        parameters.Add("content_type", answer.ContentType, System.Data.DbType.String);
        parameters.Add("location", answer.Location, System.Data.DbType.String);
        parameters.Add("body", answer.Body, System.Data.DbType.Binary);
        parameters.Add("retention", retention);
        await ExecuteAsync(Complete, parameters, cancellationToken);
    }

    /// <summary>Gives the key up (the request was refused or failed): a corrected request may use it again.</summary>
    public Task ReleaseAsync(Tenant tenant, string key, CancellationToken cancellationToken) =>
        ExecuteAsync(Release, Key(tenant, key), cancellationToken);

    /// <summary>Deletes every organization's expired keys in batches; returns how many.</summary>
    public async Task<int> DeleteExpiredAsync(int batchSize, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var deleted = await ExecuteAsync(DeleteExpired, new { batch_size = batchSize }, cancellationToken);
            total += deleted;
            if (deleted < batchSize)
                return total;
        }
    }

    private static DynamicParameters Key(Tenant tenant, string key)
    {
        var parameters = TenantSql.Parameters(tenant);
        parameters.Add("key", key);
        return parameters;
    }

    private async Task<int> ExecuteAsync(string sql, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
    }

    private async Task<KeyRow?> ReadAsync(Tenant tenant, string key, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<KeyRow>(new CommandDefinition(Read, Key(tenant, key), cancellationToken: cancellationToken));
    }

    private sealed class KeyRow
    {
        public byte[] Fingerprint { get; init; } = [];
        public int? StatusCode { get; init; }
        public string? ContentType { get; init; }
        public string? Location { get; init; }
        public byte[]? Body { get; init; }
        public bool Live { get; init; }

        public StoredAnswer? Answer() => StatusCode is { } status ? new StoredAnswer(status, ContentType, Location, Body) : null;
    }
}
