namespace Neena.Api.Services.Triggers;

/// <summary>Settings of the webhook receiver and of the trigger run processor (configuration section <c>Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>
    /// The public address platforms reach this server at (<c>https://neena.example.com</c>, with a path prefix if a proxy adds
    /// one). Webhook URLs are built from it; when empty, from the request's scheme, host and path base. Behind a proxy that
    /// changes the scheme or host, set it: Trello signs the URL it was given, which must be the one the server computes.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Run the trigger run processor in this process. Deliveries are still received and stored without it.</summary>
    public bool ProcessorEnabled { get; set; } = true;

    /// <summary>Fallback polling; a received delivery normally wakes the processor at once through <c>LISTEN</c>.</summary>
    public double PollIntervalSeconds { get; set; } = 5;

    /// <summary>
    /// How long a claim of a trigger run lasts. Processing one (planning included) must end within two thirds of it, or it is
    /// given up and retried; a crashed instance's trigger runs are taken over once their lease has expired.
    /// </summary>
    public double LeaseSeconds { get; set; } = 300;

    /// <summary>Trigger runs this instance processes at once.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>Claims of one trigger run (first one included) before a delivery that keeps failing transiently is failed.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>First delay before a transient failure is retried; doubles per attempt up to <see cref="RetryMaxDelaySeconds"/>.</summary>
    public double RetryBaseDelaySeconds { get; set; } = 5;

    public double RetryMaxDelaySeconds { get; set; } = 300;

    internal TimeSpan PollInterval => TimeSpan.FromSeconds(PollIntervalSeconds);
    internal TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);

    /// <summary>Work on a claim stops well before its lease expires, so another instance never takes over a run still being made.</summary>
    internal TimeSpan WorkLimit => TimeSpan.FromSeconds(LeaseSeconds * 2 / 3);

    /// <summary>The delay before the claim after <paramref name="attempts"/> claims that failed transiently (exponential, capped).</summary>
    internal TimeSpan RetryDelay(int attempts) =>
        TimeSpan.FromSeconds(Neena.Domain.Common.Backoff.Exponential(attempts, RetryBaseDelaySeconds, RetryMaxDelaySeconds));

    /// <summary>Describes the first invalid setting, or null when all are usable.</summary>
    public string? Validate()
    {
        if (!string.IsNullOrEmpty(PublicBaseUrl)
            && !(Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment) && string.IsNullOrEmpty(uri.UserInfo)))
            return "Webhooks:PublicBaseUrl must be empty or an absolute http(s) URL without query, fragment or user info.";
        if (!(PollIntervalSeconds > 0))
            return "Webhooks:PollIntervalSeconds must be positive.";
        if (!(LeaseSeconds >= 3))
            return "Webhooks:LeaseSeconds must be at least 3.";
        if (MaxConcurrency < 1 || MaxAttempts < 1)
            return "Webhooks:MaxConcurrency and Webhooks:MaxAttempts must be at least 1.";
        if (!(RetryBaseDelaySeconds >= 0) || !(RetryMaxDelaySeconds >= RetryBaseDelaySeconds))
            return "Webhooks:RetryBaseDelaySeconds must be non-negative and at most Webhooks:RetryMaxDelaySeconds.";
        return null;
    }
}
