using Npgsql;
using NpgsqlTypes;

namespace Neena.Api.Idempotency;

/// <summary>A stored first answer: what a repeat of its request gets back.</summary>
internal sealed record StoredAnswer(int StatusCode, string? ContentType, string? Location, byte[]? Body);

/// <summary>What the row of a key says when a request tries to reserve it.</summary>
internal abstract record Reservation
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
internal sealed class IdempotencyStore(NpgsqlDataSource dataSource)
{
    public async Task<Reservation> ReserveAsync(Guid organization, string key, byte[] fingerprint, TimeSpan reservation, CancellationToken cancellationToken)
    {
        // Two rounds at most: a row that expired or was abandoned is removed, then the INSERT is tried once more.
        for (var round = 0; round < 2; round++)
        {
            await using (var insert = dataSource.CreateCommand("""
                INSERT INTO idempotency_keys (organization_id, key, fingerprint, locked_until, expires_at)
                VALUES ($1, $2, $3, now() + $4, now() + $4)
                ON CONFLICT (organization_id, key) DO NOTHING
                """))
            {
                insert.Parameters.Add(new NpgsqlParameter { Value = organization });
                insert.Parameters.Add(new NpgsqlParameter { Value = key });
                insert.Parameters.Add(new NpgsqlParameter { Value = fingerprint, NpgsqlDbType = NpgsqlDbType.Bytea });
                insert.Parameters.Add(new NpgsqlParameter { Value = reservation });
                if (await insert.ExecuteNonQueryAsync(cancellationToken) == 1)
                    return new Reservation.Owned();
            }
            var existing = await ReadAsync(organization, key, cancellationToken);
            if (existing is null)
                continue;
            if (!existing.Value.Live)
            {
                await using var remove = dataSource.CreateCommand("""
                    DELETE FROM idempotency_keys WHERE organization_id = $1 AND key = $2
                      AND (expires_at < now() OR (status_code IS NULL AND locked_until < now()))
                    """);
                remove.Parameters.Add(new NpgsqlParameter { Value = organization });
                remove.Parameters.Add(new NpgsqlParameter { Value = key });
                await remove.ExecuteNonQueryAsync(cancellationToken);
                continue;
            }
            if (!existing.Value.Fingerprint.AsSpan().SequenceEqual(fingerprint))
                return new Reservation.Mismatch();
            return existing.Value.Answer is { } answer ? new Reservation.Completed(answer) : new Reservation.InProgress();
        }
        // Taken again between the rounds by a request that is now working on it.
        return new Reservation.InProgress();
    }

    /// <summary>The answer of a key whose first request was working, once there is one; null while it still works or when it gave the key up.</summary>
    public async Task<(bool Exists, StoredAnswer? Answer)> PollAsync(Guid organization, string key, CancellationToken cancellationToken)
    {
        var row = await ReadAsync(organization, key, cancellationToken);
        return row is null ? (false, null) : (true, row.Value.Answer);
    }

    public async Task CompleteAsync(Guid organization, string key, StoredAnswer answer, TimeSpan retention, CancellationToken cancellationToken)
    {
        await using var update = dataSource.CreateCommand("""
            UPDATE idempotency_keys SET status_code = $3, content_type = $4, location = $5, body = $6, expires_at = now() + $7
            WHERE organization_id = $1 AND key = $2
            """);
        update.Parameters.Add(new NpgsqlParameter { Value = organization });
        update.Parameters.Add(new NpgsqlParameter { Value = key });
        update.Parameters.Add(new NpgsqlParameter { Value = answer.StatusCode });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)answer.ContentType ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)answer.Location ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)answer.Body ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bytea });
        update.Parameters.Add(new NpgsqlParameter { Value = retention });
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Gives the key up (the request was refused or failed): a corrected request may use it again.</summary>
    public async Task ReleaseAsync(Guid organization, string key, CancellationToken cancellationToken)
    {
        await using var delete = dataSource.CreateCommand("DELETE FROM idempotency_keys WHERE organization_id = $1 AND key = $2 AND status_code IS NULL");
        delete.Parameters.Add(new NpgsqlParameter { Value = organization });
        delete.Parameters.Add(new NpgsqlParameter { Value = key });
        await delete.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Deletes expired keys in batches; returns how many.</summary>
    public async Task<int> DeleteExpiredAsync(int batchSize, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            await using var delete = dataSource.CreateCommand("""
                DELETE FROM idempotency_keys WHERE (organization_id, key) IN (
                    SELECT organization_id, key FROM idempotency_keys WHERE expires_at < now() LIMIT $1)
                """);
            delete.Parameters.Add(new NpgsqlParameter { Value = batchSize });
            var deleted = await delete.ExecuteNonQueryAsync(cancellationToken);
            total += deleted;
            if (deleted < batchSize)
                return total;
        }
    }

    private async Task<(byte[] Fingerprint, bool Live, StoredAnswer? Answer)?> ReadAsync(Guid organization, string key, CancellationToken cancellationToken)
    {
        await using var select = dataSource.CreateCommand("""
            SELECT fingerprint, status_code, content_type, location, body,
                   CASE WHEN status_code IS NULL THEN locked_until >= now() ELSE expires_at >= now() END
            FROM idempotency_keys WHERE organization_id = $1 AND key = $2
            """);
        select.Parameters.Add(new NpgsqlParameter { Value = organization });
        select.Parameters.Add(new NpgsqlParameter { Value = key });
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        var answer = reader.IsDBNull(1) ? null : new StoredAnswer(
            reader.GetInt32(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetFieldValue<byte[]>(4));
        return (reader.GetFieldValue<byte[]>(0), reader.GetBoolean(5), answer);
    }
}
