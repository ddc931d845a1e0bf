using Neena.Api.Contracts.FlowRuns;

namespace Neena.Api.RunEvents;

/// <summary>
/// One read of a run shared by every stream that watches it, while no notification about the run arrived since that read
/// began. A stream holds the run it read until the client has taken the events made from it, so twenty stalled readers of
/// a run with 10 MB of results each held their own 10 MB; sharing bounds what they hold to the one read (and the response
/// pipe's buffer each), whatever their number.
/// <para>
/// Why a shared read is as good as the stream's own: a stream subscribes before it reads, and a change committed after a
/// read's snapshot is notified after that read began; the notification bumps the run's version (under the hub's lock,
/// before it is posted), so a read is shared only if nothing about the run was reported since it began. A change whose
/// notification is still on its way reaches the stream's subscription, which reads again, exactly as with its own read.
/// A reconnection of the listener (notifications may have been lost) bumps every version.
/// </para>
/// </summary>
internal sealed class RunReadSharing
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(Guid Run, Guid Organization), Entry> _reads = [];
    private readonly Dictionary<Guid, long> _versions = [];
    private long _epoch;

    private sealed record Entry(long Version, long Epoch, Task<FlowRunResponse?> Read);

    /// <summary>Reads made (not shared) since the process started: what the tests count.</summary>
    public long ReadsStarted => Interlocked.Read(ref _readsStarted);

    private long _readsStarted;

    /// <summary>
    /// The run as <paramref name="read"/> answers it, or the answer of a read of the same run for the same organization
    /// that began after the last notification about the run (and is still in flight, or succeeded). With
    /// <paramref name="fresh"/> (a heartbeat's read, which looks for what a lost notification did not announce), the run
    /// is read again whatever is shared, and that read is shared from then on.
    /// </summary>
    public async Task<FlowRunResponse?> ReadAsync(Guid runId, Guid organizationId, bool fresh, Func<Task<FlowRunResponse?>> read)
    {
        Task<FlowRunResponse?> task;
        Entry? mine = null;
        lock (_lock)
        {
            var version = _versions.GetValueOrDefault(runId);
            if (!fresh && _reads.TryGetValue((runId, organizationId), out var entry) && entry.Version == version && entry.Epoch == _epoch
                && !entry.Read.IsFaulted && !entry.Read.IsCanceled)
            {
                task = entry.Read;
            }
            else
            {
                // Started under the lock only as a task: the version it is filed under is the one before its query began.
                task = StartAsync(read);
                mine = new Entry(version, _epoch, task);
                _reads[(runId, organizationId)] = mine;
                Interlocked.Increment(ref _readsStarted);
            }
        }
        if (mine is null)
        {
            try
            {
                return await task;
            }
            catch (Exception) when (!task.IsCompletedSuccessfully)
            {
                // Another stream's read failed or was cancelled with its client: this stream reads for itself.
                return await read();
            }
        }
        try
        {
            return await task;
        }
        catch
        {
            // A failed read is nobody's answer: the next stream reads again.
            lock (_lock)
            {
                if (_reads.TryGetValue((runId, organizationId), out var current) && ReferenceEquals(current, mine))
                    _reads.Remove((runId, organizationId));
            }
            throw;
        }
    }

    private static async Task<FlowRunResponse?> StartAsync(Func<Task<FlowRunResponse?>> read)
    {
        // Off the lock: the query runs after the caller has released it.
        await Task.Yield();
        return await read();
    }

    /// <summary>A notification about the run arrived: reads begun before it are not shared any more.</summary>
    public void Changed(Guid runId)
    {
        lock (_lock)
        {
            if (_versions.TryGetValue(runId, out var version))
                _versions[runId] = version + 1;
            else if (HasReadsOf(runId))
                _versions[runId] = 1;
        }
    }

    /// <summary>The listener (re)connected: notifications may have been lost, so no read made before is shared.</summary>
    public void ChangedAll()
    {
        lock (_lock)
            _epoch++;
    }

    /// <summary>The run's last stream ended: its read and version are let go, so nothing is held for runs nobody watches.</summary>
    public void Forget(Guid runId)
    {
        lock (_lock)
        {
            _versions.Remove(runId);
            foreach (var key in _reads.Keys.Where(k => k.Run == runId).ToList())
                _reads.Remove(key);
        }
    }

    private bool HasReadsOf(Guid runId) => _reads.Keys.Any(k => k.Run == runId);
}
