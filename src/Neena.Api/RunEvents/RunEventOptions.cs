namespace Neena.Api.RunEvents;

/// <summary>Settings of the live progress streams (section <c>RunEvents</c>).</summary>
public sealed class RunEventOptions
{
    public const string SectionName = "RunEvents";

    /// <summary>Streams one instance serves at once; one more is refused with 503 and <c>Retry-After</c>.</summary>
    public int MaxStreams { get; set; } = 500;

    /// <summary>Streams one organization may hold open on one instance; one more is refused with 429 and <c>Retry-After</c>.</summary>
    public int MaxStreamsPerOrganization { get; set; } = 50;

    /// <summary>Streams one credential (an API key, or a user's tokens) may hold open on one instance; one more is 429.</summary>
    public int MaxStreamsPerCredential { get; set; } = 20;

    /// <summary>Seconds between heartbeat comments (which also re-read the run, in case a notification was lost).</summary>
    public double HeartbeatSeconds { get; set; } = 15;

    /// <summary>
    /// Seconds a client may take to accept one event (or heartbeat); a reader slower than that is dropped (the connection
    /// closed), so that a client that stops reading holds neither its place nor the server's memory for long.
    /// </summary>
    public double SlowReaderSeconds { get; set; } = 30;
}

internal static class RunEventServiceCollectionExtensions
{
    public static IServiceCollection AddNeenaRunEvents(this IServiceCollection services)
    {
        services.AddOptions<RunEventOptions>().BindConfiguration(RunEventOptions.SectionName)
            .Validate(
                o => o.MaxStreams >= 0 && o.MaxStreamsPerOrganization >= 0 && o.MaxStreamsPerCredential >= 0 && o.HeartbeatSeconds > 0 && o.SlowReaderSeconds > 0,
                "Invalid RunEvents settings: MaxStreams, MaxStreamsPerOrganization, MaxStreamsPerCredential ≥ 0; HeartbeatSeconds, SlowReaderSeconds > 0.")
            .ValidateOnStart();
        services.AddSingleton<RunEventHub>();
        services.AddHostedService(sp => sp.GetRequiredService<RunEventHub>());
        services.AddScoped<RunEventStreamer>();
        return services;
    }
}
