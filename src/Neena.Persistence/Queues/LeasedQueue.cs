using Npgsql;
using static Neena.Persistence.FlowRuns.RunLifecycle;

namespace Neena.Persistence.Queues;

/// <summary>
/// A table worked as a queue under leases (<c>flow_runs</c>, <c>trigger_runs</c>): its rows have <c>id</c>,
/// <c>status</c>, <c>lease_owner</c>, <c>lease_expires_at</c> and a count of claims.
/// </summary>
/// <param name="Table">The table's name.</param>
/// <param name="Attempts">The column counting claims that did not end in good order.</param>
/// <param name="HeldStatus">The status of a row while an instance works on it under its lease.</param>
/// <param name="Due">The column saying when a row handed back for a retry comes due.</param>
/// <param name="Order">Which claimable rows are claimed first.</param>
internal sealed record LeasedTable(string Table, string Attempts, string HeldStatus, string Due, string Order);

/// <summary>
/// The one leased-queue mechanism: claim (skipping locked rows, counting the claim), renew, fence, hand back. Times come
/// from the database clock so that instances with skewed clocks agree on leases. The statements are built here from
/// the table's description; what a row of each queue means (which rows are claimable, what a hand-back sets besides)
/// is the caller's (<c>RunLease</c>, <c>TriggerRunLease</c>). Parameters: <c>@owner</c>, <c>@lease</c>, and
/// <c>@id</c> for one row.
/// </summary>
internal sealed class LeasedQueue(NpgsqlDataSource dataSource, string owner, TimeSpan lease, LeasedTable table)
{
    /// <summary>Nobody holds a live lease on the row (never claimed, handed back, or its owner's lease expired).</summary>
    public const string LeaseFree = "(lease_expires_at IS NULL OR lease_expires_at < now())";

    public string Owner => owner;

    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>This instance holds the row: its lease and the working status (<paramref name="alias"/>: the row's alias, or none).</summary>
    public string Held(string? alias = null)
    {
        var column = alias is null ? "" : alias + ".";
        return $"{column}lease_owner = @owner AND {column}status = {Literal(table.HeldStatus)}";
    }

    /// <summary>
    /// A condition that this instance holds row <paramref name="id"/>, locking it <c>FOR SHARE</c> so that a write
    /// conditional on it is atomic with respect to claims, renewals and other writers of the row (which update it).
    /// </summary>
    public string Fence(string id) => $"EXISTS (SELECT 1 FROM {table.Table} q WHERE q.id = {id} AND {Held("q")} FOR SHARE)";

    /// <summary>The columns a hand-back in good order sets: no lease, and the claim does not count.</summary>
    public string HandBack => $"lease_owner = NULL, lease_expires_at = NULL, {table.Attempts} = greatest({table.Attempts} - 1, 0)";

    /// <summary>
    /// The claim of up to <c>@max</c> rows matching <paramref name="pick"/> whose lease is free, in the table's order,
    /// skipping rows others have locked (instances claiming at once take different rows). The update sets the lease,
    /// counts the claim and sets <paramref name="set"/> (after a comma, may be empty) where <paramref name="still"/> holds;
    /// it returns <c>id</c>, the count as <c>attempts</c>, and <paramref name="returning"/>.
    /// </summary>
    /// <remarks>
    /// MATERIALIZED: the pick runs once. As a subquery of <c>id IN (…)</c> the planner may run it again for each row (a
    /// nested loop), and each run skips the rows the update already changed and picks others: a claim of at most
    /// <c>@max</c> rows then took more (found by ClaimTests).
    /// </remarks>
    public string Claim(string pick, string still, string set = "", string returning = "") => $"""
        WITH picked AS MATERIALIZED (
            SELECT id FROM {table.Table}
            WHERE {pick} AND {LeaseFree}
            ORDER BY {table.Order}
            LIMIT @max
            FOR UPDATE SKIP LOCKED)
        UPDATE {table.Table} SET lease_owner = @owner, lease_expires_at = now() + @lease,
               {table.Attempts} = {table.Table}.{table.Attempts} + 1{(set.Length == 0 ? "" : ", " + set)}
        FROM picked
        WHERE {table.Table}.id = picked.id AND {still}
        RETURNING {table.Table}.id AS id, {table.Table}.{table.Attempts} AS attempts{(returning.Length == 0 ? "" : ", " + returning)}
        """;

    /// <summary>How soon the nearest row handed back for a retry (matching <paramref name="waiting"/>, no lease) comes due.</summary>
    public string NextDue(string waiting) =>
        $"SELECT min({table.Due}) - now() AS next_due FROM {table.Table} WHERE {waiting} AND {table.Due} > now() AND lease_owner IS NULL";

    /// <summary>An update of row <c>@id</c> that only happens while this instance holds it.</summary>
    public string UpdateHeld(string set) => $"UPDATE {table.Table} SET {set} WHERE id = @id AND {Held()}";

    /// <summary>Runs a claim (<see cref="Claim"/>) and then <see cref="NextDue"/> in one round trip.</summary>
    public async Task<(List<T> Claimed, TimeSpan? NextDue)> ClaimAsync<T>(
        string claimSql, string waiting, int max, Action<NpgsqlParameterCollection>? parameters, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        await using var command = Command(claimSql + ";\n" + NextDue(waiting));
        command.Parameters.AddWithValue("max", max);
        parameters?.Invoke(command.Parameters);
        var claimed = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            claimed.Add(read(reader));
        await reader.NextResultAsync(cancellationToken);
        TimeSpan? nextDue = null;
        if (await reader.ReadAsync(cancellationToken) && !await reader.IsDBNullAsync(0, cancellationToken))
            nextDue = reader.GetTimeSpan(reader.GetOrdinal("next_due"));
        return (claimed, nextDue);
    }

    /// <summary>The claim of the one row <c>@id</c>, as a batch command whose result a later statement of the batch can follow.</summary>
    public NpgsqlBatchCommand ClaimOneCommand(Guid id, string claimable, string still, string set = "")
    {
        var command = new NpgsqlBatchCommand(Claim($"id = @id AND {claimable}", still, set));
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("max", 1);
        return command;
    }

    /// <summary>Extends the leases of <paramref name="ids"/>; returns those this instance still holds.</summary>
    public async Task<HashSet<Guid>> RenewAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        await using var command = Command($"UPDATE {table.Table} SET lease_expires_at = now() + @lease WHERE id = ANY(@ids) AND {Held()} RETURNING id");
        command.Parameters.AddWithValue("ids", ids.ToArray());
        var renewed = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            renewed.Add(reader.GetGuid(0));
        return renewed;
    }

    /// <summary>Runs <see cref="UpdateHeld"/> for row <paramref name="id"/>; false when this instance no longer holds it (nothing written).</summary>
    public async Task<bool> UpdateHeldAsync(Guid id, string set, Action<NpgsqlParameterCollection>? parameters, CancellationToken cancellationToken)
    {
        await using var command = Command(UpdateHeld(set));
        command.Parameters.AddWithValue("id", id);
        parameters?.Invoke(command.Parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>A command on the data source (a pooled connection for its execution) with <c>@owner</c> and <c>@lease</c>.</summary>
    public NpgsqlCommand Command(string sql)
    {
        var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("lease", lease);
        return command;
    }
}
