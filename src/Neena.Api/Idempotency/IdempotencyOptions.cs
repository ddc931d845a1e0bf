namespace Neena.Api.Idempotency;

/// <summary>Settings of <c>Idempotency-Key</c> handling (section <c>Idempotency</c>).</summary>
public sealed class IdempotencyOptions
{
    public const string SectionName = "Idempotency";

    /// <summary>The longest key accepted (contract §9).</summary>
    public const int MaxKeyLength = 255;

    /// <summary>How long a stored answer is replayed.</summary>
    public int RetentionHours { get; set; } = 24;

    /// <summary>How long a duplicate waits for the first request with its key to finish before it is told to retry (409).</summary>
    public double WaitSeconds { get; set; } = 10;

    /// <summary>
    /// How long a reservation protects a first request still working; after that it counts as abandoned (its instance
    /// died mid-request) and the next request with the key does the work.
    /// </summary>
    public int ReservationMinutes { get; set; } = 5;

    /// <summary>How often expired keys are deleted.</summary>
    public double CleanupIntervalMinutes { get; set; } = 60;
}
