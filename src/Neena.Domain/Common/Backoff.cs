namespace Neena.Domain.Common;

/// <summary>
/// The one backoff of the durable retries (a task's next attempt, a trigger run's next claim): exponential from a base,
/// doubling per attempt, capped; optionally with equal jitter (half the delay fixed, half random) so that the retries of
/// many items spread out. The platform clients' in-place HTTP retries are Polly's (their resilience pipeline), not this.
/// </summary>
public static class Backoff
{
    /// <summary>The delay before the attempt after <paramref name="attempt"/> failed ones, in the unit of <paramref name="baseDelay"/>.</summary>
    /// <param name="attempt">Attempts made so far (1 after the first); 0 or less counts as 1.</param>
    /// <param name="maxDelay">The cap, applied before the jitter.</param>
    /// <param name="jitter">A random draw in [0, 1) for equal jitter (half the capped delay plus that share of the other half); null for none.</param>
    public static double Exponential(int attempt, double baseDelay, double maxDelay, double? jitter = null)
    {
        var capped = Math.Min(baseDelay * Math.Pow(2, Math.Max(0, attempt - 1)), maxDelay);
        return jitter is { } draw ? (capped / 2) + (draw * capped / 2) : capped;
    }
}
