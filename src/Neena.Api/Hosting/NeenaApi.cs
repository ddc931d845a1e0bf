using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Neena.Agent;
using Neena.Api.Auth;
using Neena.Api.Commands;
using Neena.Api.Contracts.Common;
using Neena.Api.Errors;
using Neena.Api.Idempotency;
using Neena.Api.Routing;
using Neena.Api.RunEvents;
using Neena.Api.Services;
using Neena.Api.Services.Generation;
using Neena.Api.Services.Triggers;
using Neena.Api.Validation;
using Neena.Api.Workers;
using Neena.Domain.Common;
using Neena.Engine;
using Neena.Engine.Credentials;
using Neena.Integrations;
using Neena.Persistence;
using Serilog;
using Serilog.Events;

namespace Neena.Api.Hosting;

/// <summary>Composition of the server: services, middleware and endpoints. <c>Program</c> and the command line share it.</summary>
public static class NeenaApi
{
    public const string AuthScheme = "Neena";

    public static WebApplicationBuilder CreateBuilder(string[] args, bool logToStandardError = false)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = BodySizeLimit.MaxBytes);
        AddLogging(builder, logToStandardError);
        AddServices(builder.Services, builder.Configuration);
        return builder;
    }

    private static void AddLogging(WebApplicationBuilder builder, bool logToStandardError)
    {
        // Sinks registered in the container are used too, so that a host (a test) can watch what the server logs.
        builder.Services.AddSerilog((services, logger) => logger
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.EntityFrameworkCore", LogEventLevel.Warning)
            // Failed commands surface as exceptions, which the exception handler logs once; EF's own copy would log
            // the expected "no history table yet" probe of the first migration as an error.
            .MinimumLevel.Override("Microsoft.EntityFrameworkCore.Database.Command", LogEventLevel.Fatal)
            .MinimumLevel.Override("Microsoft.EntityFrameworkCore.Update", LogEventLevel.Fatal)
            .MinimumLevel.Override("Microsoft.AspNetCore.DataProtection", LogEventLevel.Error)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .ReadFrom.Configuration(builder.Configuration)
            .ReadFrom.Services(services)
            .Enrich.FromLogContext()
            .WriteTo.Console(
                outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}",
                standardErrorFromLevel: logToStandardError ? LogEventLevel.Verbose : null,
                formatProvider: System.Globalization.CultureInfo.InvariantCulture),
            // Each host logs through its own logger, not the process-wide Log.Logger: with several hosts in one process
            // (tests) the last one started would otherwise receive every host's events, and the first one disposed
            // would silence them all.
            preserveStaticLogger: true);
    }

    public static void ApplyJson(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        json.DictionaryKeyPolicy = null;
        json.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        json.Converters.Add(new UtcDateTimeConverter());
        // Bad input is refused while binding, in every field: strings, numbers and JSON trees (contract §3).
        json.Converters.Add(new SafeStringConverter());
        json.Converters.Add(new FiniteDoubleConverter());
        json.Converters.Add(new FiniteSingleConverter());
        json.Converters.Add(new SafeJsonTreeConverter());
        // Deeper than any stored value read back plus its envelope, so that every row reads back; a JSON-tree field deeper
        // than what may be stored is refused at the field (SafeJsonTreeConverter), a body deeper than this at "body".
        json.MaxDepth = JsonDepth.MaxDocument;
    }

    private static void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        FluentValidationSetup.ConfigureGlobalOptions();

        services.AddSingleton<DatabaseBootstrap>();
        services.AddHostedService<EmbeddedDatabaseLifetime>();
        services.AddHttpContextAccessor();
        // One for the process, as pooled contexts need: it holds nothing, and reads the tenant of whichever request runs the query.
        services.AddSingleton(sp => new BackgroundTenantContext(() => HttpTenantContext.Refusal(sp.GetRequiredService<IHttpContextAccessor>())));
        services.AddSingleton<HttpTenantContext>();
        services.AddSingleton<ITenantContext>(sp => sp.GetRequiredService<HttpTenantContext>());
        services.AddNeenaPersistence(sp => sp.GetRequiredService<DatabaseBootstrap>().ConnectionString);
        services.AddPrincipalCache();

        services.AddScoped<UserService>();
        services.AddScoped<ApiKeyService>();
        services.AddNeenaIntegrations(configuration);
        services.AddNeenaEngine();
        services.AddNeenaAgent<FlowDraftReader>();
        services.AddScoped<CatalogueService>();
        services.AddScoped<TaskDefinitionRetrievalService>();
        services.AddScoped<CatalogueSynchronizer>();
        services.AddScoped<CreateFlowCommand>();
        services.AddScoped<CreateFlowRequestCommand>();
        services.AddScoped<CreateFlowRunCommand>();
        services.AddScoped<FlowRequestService>();
        services.AddScoped<FlowService>();
        services.AddScoped<FlowRunService>();
        services.AddScoped<AnalyticsService>();
        services.AddScoped<FlowGenerationService>();
        services.AddScoped<IntegrationCredentialService>();
        services.AddNeenaCredentials();
        services.AddScoped<WebhookTriggerOperationService>();
        services.AddScoped<ScheduleTriggerOperationService>();
        services.AddScoped<TriggerRunService>();
        services.AddScoped<FlowResultService>();
        services.AddNeenaWebhooks();
        services.AddNeenaIdempotency();
        services.AddNeenaRunEvents();
        services.AddNeenaTelemetry(configuration);
        services.AddBackgroundWorkers(configuration);

        services.AddOptions<PerformanceOptions>()
            .BindConfiguration(PerformanceOptions.SectionName)
            .Validate(o => o.MaxConcurrentLargeResponses >= 0, "Invalid Performance settings: MaxConcurrentLargeResponses must be at least 0 (0: eight times the processor count).")
            .ValidateOnStart();
        services.AddSingleton<LargeResponseGate>();

        services.AddControllers(options =>
            {
                options.Conventions.Add(new TwoSurfaceConvention());
                // One instance each for the process: a type filter was built (its dependencies resolved) for every request.
                options.Filters.AddService<ValidationFilter>();
                options.Filters.AddService<IdempotencyFilter>();
                options.ModelBinderProviders.Insert(0, new DecimalIntegerModelBinderProvider());
                options.ModelBinderProviders.Insert(1, new UtcDateTimeModelBinderProvider());
                options.SuppressImplicitRequiredAttributeForNonNullableReferenceTypes = true;
                options.ModelBindingMessageProvider.SetMissingBindRequiredValueAccessor(_ => ValidationErrors.FieldRequired);
                options.ModelBindingMessageProvider.SetValueMustNotBeNullAccessor(_ => ValidationErrors.FieldRequired);
                options.ModelBindingMessageProvider.SetMissingKeyOrValueAccessor(() => ValidationErrors.FieldRequired);
            })
            .AddJsonOptions(o => ApplyJson(o.JsonSerializerOptions))
            .ConfigureApiBehaviorOptions(o =>
            {
                o.InvalidModelStateResponseFactory = ValidationErrors.ToResponse;
                o.SuppressMapClientErrors = true;
            });
        services.Configure<Microsoft.AspNetCore.Http.Json.JsonOptions>(o => ApplyJson(o.SerializerOptions));
        // Validators hold only their rules (and singletons): built once, not for every request that binds a model (issue 23).
        services.AddValidatorsFromAssemblyContaining<PageQueryValidator>(ServiceLifetime.Singleton, includeInternalTypes: true);
        services.AddSingleton<ValidationFilter>();

        services.AddExceptionHandler<ExceptionHandler>();
        services.AddProblemDetails();

        services.AddAuthentication(AuthScheme)
            .AddPolicyScheme(AuthScheme, "JWT or API key", o => o.ForwardDefaultSelector = context =>
                CredentialReader.BearerIsJwt(context.Request) ? JwtBearerDefaults.AuthenticationScheme : ApiKeyAuthenticationHandler.SchemeName)
            .AddJwtBearer()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IConfiguration>((options, configuration) => JwtSetup.Configure(options, configuration));

        services.AddSingleton<IAuthorizationHandler, NeenaRequirementHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, NeenaAuthorizationResultHandler>();
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(NeenaPolicy())
            .SetFallbackPolicy(NeenaPolicy());

        services.AddRateLimiter(_ => { });
        services.AddOptions<Microsoft.AspNetCore.RateLimiting.RateLimiterOptions>()
            .Configure<IConfiguration, TimeProvider>((options, configuration, time) => RateLimitingSetup.Configure(options, configuration, time));

        services.AddNeenaCors();
        services.AddHealthChecks().AddDbContextCheck<NeenaDbContext>("database", tags: ["ready"]);
        services.AddNeenaSwagger();
    }

    // No scheme of its own: the authentication middleware has already authenticated the default scheme (AuthScheme) into
    // HttpContext.User; naming it here authenticated every request a second time and rebuilt its principal (issue 23).
    // Challenges and refusals still go to the default scheme.
    private static AuthorizationPolicy NeenaPolicy() => new AuthorizationPolicyBuilder()
        .RequireAuthenticatedUser()
        .AddRequirements(new NeenaRequirement())
        .Build();

    /// <summary>
    /// Checks the configuration, chooses and migrates the database; must run after <c>Build()</c> (tests supply
    /// configuration late) and before serving.
    /// </summary>
    /// <exception cref="StartupException">A configuration the server must not start with; the message says what to change.</exception>
    public static async Task PrepareDatabaseAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        JwtSetup.EnsureAllowed(app.Configuration, app.Environment);
        await app.Services.GetRequiredService<DatabaseBootstrap>().PrepareAsync(cancellationToken);
        if (app.Configuration.GetValue("Database:MigrateOnStartup", true))
            await DatabaseBootstrap.MigrateAsync(app.Services, cancellationToken);
        await KeyRing.EnsureKeyAsync(app.Services, cancellationToken);
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<CatalogueSynchronizer>()
            .SynchronizeAsync(scope.ServiceProvider.GetRequiredService<IntegrationCatalogue>().Integrations, cancellationToken);
    }

    public static WebApplication Build(string[] args)
    {
        var app = CreateBuilder(args).Build();
        UsePipeline(app);
        return app;
    }

    private static void UsePipeline(WebApplication app)
    {
        app.UseMiddleware<RequestIdMiddleware>();
        app.UseSerilogRequestLogging(o =>
        {
            // The path only: query strings may carry ids, never log headers (credentials travel there).
            o.MessageTemplate = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0} ms (request {RequestId})";
            o.EnrichDiagnosticContext = (diagnostics, http) => diagnostics.Set("RequestId", http.TraceIdentifier);
        });
        app.UseExceptionHandler();
        app.UseMiddleware<BodySizeLimit>();
        app.UseMiddleware<RequestBodyErrors>();
        app.UseStatusCodePages(async context =>
        {
            var response = context.HttpContext.Response;
            if (!response.HasStarted && response.ContentLength is null && string.IsNullOrEmpty(response.ContentType))
                await ErrorWriter.WriteDetailAsync(context.HttpContext, response.StatusCode, ReasonPhrase(response.StatusCode));
        });

        // Only /swagger/… can be theirs: every other request skips their per-request path matching (issue 23).
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/swagger"), swagger =>
        {
            swagger.UseSwagger();
            swagger.UseSwaggerUI(o =>
            {
                o.SwaggerEndpoint("/swagger/v1/swagger.json", "Neena API v1");
                o.DocumentTitle = "Neena API";
                o.EnablePersistAuthorization();
            });
        });

        app.UseRouting();
        app.UseNeenaCors();
        app.UseMiddleware<FixedRouteMethodGuard>();
        app.UseMiddleware<UnknownPathNotFound>();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();

        app.MapControllers();
        app.MapNeenaTelemetry();
        app.MapWelcome();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealthAsync })
            .AllowAnonymous().DisableRateLimiting();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteHealthAsync })
            .AllowAnonymous().DisableRateLimiting();

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            foreach (var address in addresses)
                app.Logger.LogInformation("Neena is serving on {Address}; Swagger UI: {Address}/swagger", address, address.TrimEnd('/'));
        });
    }

    private static Task WriteHealthAsync(HttpContext context, HealthReport report) =>
        context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status.ToString()),
        });

    private static string ReasonPhrase(int statusCode) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(statusCode) is { Length: > 0 } phrase ? phrase : "Error";
}
