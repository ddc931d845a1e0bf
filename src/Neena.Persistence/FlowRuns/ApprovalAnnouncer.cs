using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Neena.Persistence.FlowRuns;

/// <summary>
/// Tells the engines about runs approved by <c>PUT /approve</c> once the approval has committed: the engines of this
/// process at once, in memory, and those of other processes by <c>NOTIFY</c>s sent after the commit, many approvals to a
/// transaction when they come faster than one transaction takes.
/// </summary>
/// <remarks>
/// <para>
/// Why not a <c>pg_notify</c> in the approving statement, as before (issue 23): a transaction that has notified takes
/// one lock for the whole database at its commit (PostgreSQL 15 to 17, <c>PreCommit_Notify</c>) and holds it until the
/// commit is done, WAL flush included, so every approval's commit waited for every other one's. Sampling
/// <c>pg_stat_activity</c> under 16 approving clients found the approving sessions waiting on that lock ("Lock: object")
/// four times as often as they ran.
/// </para>
/// <para>
/// Notifications are only wake-ups, as before: engines also poll. An announcement lost to a crash between the commit and
/// the <c>NOTIFY</c>, or to a failed <c>NOTIFY</c>, delays the run until some engine's next poll; it loses nothing.
/// </para>
/// <para>
/// Payloads are <c>origin:run id</c>. The origin names this announcer, so the engines of this process, which had the run
/// in memory, skip their own process's notification. Approvals made inside a larger transaction (a run created approved,
/// an automatic approval, an approval step's answer) still notify in that transaction, with the bare run id.
/// </para>
/// </remarks>
public sealed class ApprovalAnnouncer : IAsyncDisposable
{
    /// <summary>Runs named in one <c>NOTIFY</c> transaction at most.</summary>
    internal const int MaxBatch = 500;

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<ApprovalAnnouncer> _logger;
    private readonly Channel<Guid> _pending = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sender;

    public ApprovalAnnouncer(NpgsqlDataSource dataSource, ILogger<ApprovalAnnouncer> logger)
    {
        _dataSource = dataSource;
        _logger = logger;
        // The sender outlives whichever request first needed this singleton: it must not carry that request's trace.
        using (ExecutionContext.SuppressFlow())
            _sender = Task.Run(() => SendAsync(_stop.Token));
    }

    /// <summary>This announcer's name in the payloads it sends.</summary>
    public string Origin { get; } = Guid.NewGuid().ToString("N");

    /// <summary>This process's announcements, raised on the announcing thread (keep handlers short).</summary>
    public event Action<Guid>? Approved;

    /// <summary>A run's approval has committed: tells this process's engines now, and the others' soon.</summary>
    public void Announce(Guid runId)
    {
        Approved?.Invoke(runId);
        _pending.Writer.TryWrite(runId);
    }

    /// <summary>
    /// Reads an approval notification's payload: <c>origin:run id</c> from an announcer, or a bare run id from an
    /// approval that notified in its own transaction (origin null). False when it names no run.
    /// </summary>
    public static bool TryParse(string payload, out string? origin, out Guid runId)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var colon = payload.IndexOf(':', StringComparison.Ordinal);
        origin = colon < 0 ? null : payload[..colon];
        return Guid.TryParse(colon < 0 ? payload : payload.AsSpan(colon + 1), out runId);
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _stop.CancelAsync();
        try
        {
            await _sender;
        }
        catch (OperationCanceledException)
        {
            // Stopping: what was not sent yet is found by the engines' polls.
        }
        _stop.Dispose();
    }

    private async Task SendAsync(CancellationToken cancellationToken)
    {
        var batch = new List<Guid>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync(cancellationToken))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var runId))
                batch.Add(runId);
            try
            {
                await using var command = _dataSource.CreateCommand(
                    "SELECT count(pg_notify(@channel, @origin || ':' || id::text)) FROM unnest(@ids) AS id");
                command.Parameters.AddWithValue("channel", FlowRunNotifications.Approved);
                command.Parameters.AddWithValue("origin", Origin);
                command.Parameters.AddWithValue("ids", batch.ToArray());
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                _logger.LogWarning(ex, "Announcing {Count} approved run(s) to other instances failed; their engines find them at their next poll", batch.Count);
            }
        }
    }
}
