namespace Neena.Api.RunEvents;

/// <summary>Settings of the live progress streams (section <c>RunEvents</c>).</summary>
public sealed class RunEventOptions
{
    public const string SectionName = "RunEvents";

    /// <summary>Streams one instance serves at once; one more is refused with 503 and <c>Retry-After</c>.</summary>
    public int MaxStreams { get; set; } = 500;

    /// <summary>Seconds between heartbeat comments (which also re-read the run, in case a notification was lost).</summary>
    public double HeartbeatSeconds { get; set; } = 15;
}

internal static class RunEventServiceCollectionExtensions
{
    public static IServiceCollection AddNeenaRunEvents(this IServiceCollection services)
    {
        services.AddOptions<RunEventOptions>().BindConfiguration(RunEventOptions.SectionName)
            .Validate(o => o.MaxStreams >= 0 && o.HeartbeatSeconds > 0, "Invalid RunEvents settings: MaxStreams ≥ 0, HeartbeatSeconds > 0.")
            .ValidateOnStart();
        services.AddSingleton<RunEventHub>();
        services.AddHostedService(sp => sp.GetRequiredService<RunEventHub>());
        services.AddScoped<RunEventStreamer>();
        return services;
    }
}
