namespace Neena.Api.Services.Notifications;

/// <summary>The <c>Notifications</c> section: how outbox entries are delivered to subscriptions.</summary>
public sealed class NotificationOptions
{
    public const string SectionName = "Notifications";

    /// <summary>Whether this instance delivers notifications (events are queued either way, and another instance may deliver them).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The wait after the first failed attempt; each further failure doubles it, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long after the event attempts go on; an attempt that would come later is not made and the delivery fails.</summary>
    public TimeSpan RetryWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long one attempt waits for the receiver's answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often to look for due deliveries that no notification announced (retries come due by their own timer).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Deliveries in flight on this instance.</summary>
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>Deliveries of one organization in flight across all instances, so one organization's backlog never starves another's.</summary>
    public int MaxPerOrganization { get; set; } = 4;

    /// <summary>The lease on a delivery: if the instance dies, another one delivers it this long after its claim.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The wait before attempt <paramref name="failures"/> + 1.</summary>
    public TimeSpan RetryDelay(int failures)
    {
        var exponent = Math.Clamp(failures - 1, 0, 30);
        var delay = RetryBaseDelay * Math.Pow(2, exponent);
        return delay > MaxRetryDelay ? MaxRetryDelay : delay;
    }

    /// <summary>Why the settings cannot work, or null.</summary>
    public string? Validate() =>
        RetryBaseDelay <= TimeSpan.Zero || MaxRetryDelay < RetryBaseDelay || RetryWindow <= TimeSpan.Zero
            ? "Invalid Notifications settings: RetryBaseDelay > 0, MaxRetryDelay ≥ RetryBaseDelay, RetryWindow > 0."
            : Timeout <= TimeSpan.Zero || Lease < Timeout * 2 || PollInterval <= TimeSpan.Zero
                ? "Invalid Notifications settings: Timeout > 0, Lease ≥ twice the Timeout, PollInterval > 0."
                : MaxConcurrency is < 1 or > 1000 || MaxPerOrganization is < 1 or > 1000
                    ? "Invalid Notifications settings: MaxConcurrency and MaxPerOrganization 1…1000."
                    : null;
}
