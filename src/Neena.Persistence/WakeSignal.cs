using System.Threading.Channels;

namespace Neena.Persistence;

/// <summary>
/// The wake-up of a polling loop (the engine, the trigger run processor): any number of wakes before the loop waits again
/// count as one, and a wait ends at the first of a wake, the poll interval, or the moment the nearest due work comes due.
/// </summary>
public sealed class WakeSignal
{
    // Due work is looked for a little after it is due, so that it is due by the database's clock too.
    private static readonly TimeSpan DueSlack = TimeSpan.FromMilliseconds(20);

    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Returns on a wake, after <paramref name="pollInterval"/>, or when <paramref name="nextDue"/> has passed; throws only when <paramref name="stoppingToken"/> is cancelled.</summary>
    public async Task WaitAsync(TimeSpan pollInterval, TimeSpan? nextDue, CancellationToken stoppingToken)
    {
        var wait = pollInterval;
        if (nextDue is { } due && due + DueSlack < wait)
            wait = due + DueSlack;
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        poll.CancelAfter(wait);
        try
        {
            await _wake.Reader.WaitToReadAsync(poll.Token);
            _wake.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The poll interval elapsed or due work came due: look anyway (missed notifications, expired leases).
        }
    }
}
