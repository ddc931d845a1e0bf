using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace Neena.Bench;

/// <summary>
/// Bytes a server process allocates, read from outside over EventPipe (the runtime's diagnostics port, as dotnet-trace
/// does): no code, endpoint or setting in the server. The runtime raises a <c>GCAllocationTick</c> event each time about
/// 100 KB have been allocated on a heap, carrying the amount since the previous one; their sum over a window is what was
/// allocated in it, give or take one tick per heap at each end.
/// </summary>
internal sealed class AllocationMeter : IAsyncDisposable
{
    private readonly EventPipeSession _session;
    private readonly Task _processing;
    private readonly List<(DateTime Utc, long Bytes)> _ticks = [];
    private readonly Lock _lock = new();

    private AllocationMeter(EventPipeSession session)
    {
        _session = session;
        var source = new EventPipeEventSource(session.EventStream);
        source.Clr.GCAllocationTick += e =>
        {
            lock (_lock)
                _ticks.Add((e.TimeStamp.ToUniversalTime(), e.AllocationAmount64));
        };
        _processing = Task.Run(() =>
        {
            try
            {
                source.Process();
            }
            finally
            {
                source.Dispose();
            }
        });
    }

    public static AllocationMeter Start(int processId)
    {
        var provider = new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Verbose, (long)ClrTraceEventParser.Keywords.GC);
        var session = new DiagnosticsClient(processId).StartEventPipeSession([provider], requestRundown: false, circularBufferMB: 64);
        return new AllocationMeter(session);
    }

    /// <summary>Ends the session (its last buffers are flushed) and returns the bytes allocated between the two instants.</summary>
    public async Task<long> StopAndSumAsync(DateTime fromUtc, DateTime toUtc)
    {
        await _session.StopAsync(CancellationToken.None);
        await _processing.WaitAsync(TimeSpan.FromSeconds(30));
        lock (_lock)
            return _ticks.Where(t => t.Utc >= fromUtc && t.Utc <= toUtc).Sum(t => t.Bytes);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _session.StopAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is ServerNotAvailableException or EndOfStreamException or IOException or InvalidOperationException)
        {
            // Already stopped, or the process is gone.
        }
        _session.Dispose();
    }
}
