namespace Neena.Integrations.Http;

/// <summary>Limits of the "HTTP Request" task; bound from the <c>Integrations:Http</c> configuration section.</summary>
public sealed class HttpIntegrationOptions
{
    public const string SectionName = "Integrations:Http";

    /// <summary>
    /// Host names (exact, case-insensitive) that may be reached whatever addresses they resolve to, for internal
    /// services a deployment deliberately exposes to flows; except addresses that are never a destination
    /// (unspecified, multicast, broadcast).
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>
    /// CIDR ranges (for example <c>10.1.0.0/16</c>) exempt from the private/loopback/link-local address block; never
    /// the unspecified, multicast or broadcast addresses, whatever the range.
    /// </summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>Largest response body the task reads (after decompression); larger responses fail the task.</summary>
    public long MaxResponseBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest <c>timeout_seconds</c> a task input may ask for.</summary>
    public int MaxTimeoutSeconds { get; set; } = 300;
}
