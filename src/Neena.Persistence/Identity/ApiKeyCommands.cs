using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Neena.Domain.ApiKeys;
using Neena.Persistence.Sql;
using Npgsql;

namespace Neena.Persistence.Identity;

/// <summary>The statements on <c>api_keys</c> that EF's change tracking does not express: the row lock, the revocation cascade, the recorded uses.</summary>
public sealed class ApiKeyCommands(NeenaDbContext db)
{
    private static readonly string RevokeTree = $"""
        WITH RECURSIVE tree AS (
            SELECT k.id FROM api_keys k WHERE k.id = @id AND {TenantSql.Condition("k")}
            UNION
            SELECT child.id FROM api_keys child JOIN tree ON child.parent_key_id = tree.id
        ), locked AS (
            SELECT id FROM api_keys WHERE id IN (SELECT id FROM tree) AND revoked_at IS NULL
            ORDER BY id FOR NO KEY UPDATE
        )
        UPDATE api_keys SET revoked_at = @now, modified_date = @now, modified_by_email = @email
        WHERE id IN (SELECT id FROM locked) AND revoked_at IS NULL
        """;

    /// <summary>
    /// A key, locked FOR SHARE until the transaction ends (the context's tenant filter applies around it): a revocation
    /// that comes first makes this read see it revoked; one that comes later waits for the transaction.
    /// </summary>
    public IQueryable<ApiKey> ForShare(Guid id) => db.ApiKeys.FromSql($"SELECT * FROM api_keys WHERE id = {id} FOR SHARE");

    /// <summary>
    /// Revokes the tenant's key <paramref name="id"/> and every key created with it, recursively, in the context's open
    /// transaction; a key revoked before keeps its time. Returns how many keys this revoked.
    /// </summary>
    public async Task<int> RevokeTreeAsync(Tenant tenant, Guid id, DateTime now, string? email, CancellationToken cancellationToken)
    {
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("A revocation needs the context's transaction: begin one first.");
        var parameters = TenantSql.Parameters(tenant);
        parameters.Add("id", id);
        parameters.Add("now", now);
        parameters.Add("email", email);
        // Repeated until a pass changes nothing, because each statement sees the tree as of its start: a key being
        // created with a key of the tree holds that key FOR SHARE, so the pass that revokes it waits for the child to
        // commit, and the next pass (a new snapshot) finds the child. Creations that start after a key is revoked here
        // wait for this transaction and are refused. Rows are locked in id order so that two revocations of
        // overlapping trees cannot deadlock.
        int changed, total = 0;
        do
        {
            changed = await transaction.Connection!.ExecuteAsync(new CommandDefinition(RevokeTree, parameters, transaction, cancellationToken: cancellationToken));
            total += changed;
        }
        while (changed > 0);
        return total;
    }

    /// <summary>
    /// Writes the last uses recorded off the request path (keys of any organization: authentication found them), in one
    /// statement; a use older than the one stored is ignored.
    /// </summary>
    public static async Task RecordUsesAsync(NpgsqlDataSource dataSource, Guid[] ids, DateTime[] times, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE api_keys SET last_used_at = used.at
            FROM unnest(@ids::uuid[], @times::timestamptz[]) AS used(id, at)
            WHERE api_keys.id = used.id AND (api_keys.last_used_at IS NULL OR api_keys.last_used_at < used.at)
            """, new { ids, times }, cancellationToken: cancellationToken));
    }
}
