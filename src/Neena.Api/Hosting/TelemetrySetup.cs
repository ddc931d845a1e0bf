using Neena.Api.Workers;
using Neena.Engine;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Neena.Api.Hosting;

/// <summary>
/// OpenTelemetry, only where something reads it: traces (ASP.NET Core, HttpClient, Npgsql and the engine's run and task
/// spans) and metrics (the same plus the engine's and retention's meters) are exported over OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the exporter reads the standard <c>OTEL_*</c> variables), and metrics are
/// served for Prometheus at <c>/metrics</c> when <c>Telemetry:Prometheus</c> is true. With neither, nothing is
/// registered, so requests pay nothing for telemetry nobody collects.
/// </summary>
internal static class TelemetrySetup
{
    public const string ServiceName = "neena";
    public const string PrometheusPath = "/metrics";

    public static bool Otlp(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    public static bool Prometheus(IConfiguration configuration) => configuration.GetValue("Telemetry:Prometheus", false);

    public static void AddNeenaTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var otlp = Otlp(configuration);
        var prometheus = Prometheus(configuration);
        if (!otlp && !prometheus)
            return;
        var telemetry = services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService(ServiceName));
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddMeter(EngineMetrics.MeterName, RunRetentionService.MeterName, "Npgsql")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation();
            if (otlp)
                metrics.AddOtlpExporter();
            if (prometheus)
                metrics.AddPrometheusExporter();
        });
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(EngineTracing.SourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments(PrometheusPath))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddOtlpExporter());
        }
    }

    public static void MapNeenaTelemetry(this WebApplication app)
    {
        if (!Prometheus(app.Configuration))
            return;
        // A scraper brings no Neena credential: keep the port private, or put the endpoint behind the proxy's authentication.
        app.MapPrometheusScrapingEndpoint(PrometheusPath).AllowAnonymous().DisableRateLimiting();
    }
}
