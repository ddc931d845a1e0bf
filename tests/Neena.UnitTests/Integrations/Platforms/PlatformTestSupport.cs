using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Neena.Integrations;
using Neena.Integrations.Credentials;

namespace Neena.UnitTests.Integrations.Platforms;

/// <summary>Every log entry written through the container's loggers, at every level, as text (message, state values, exception).</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyList<string> Entries => _entries.ToList();

    public string All => string.Join('\n', _entries);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            owner._entries.Enqueue($"{category} scope: {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // Structured values as a sink would store them: collections item by item, not as their type name.
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(", ", pairs.Select(p => $"{p.Key}={Render(p.Value)}")) : "";
            owner._entries.Enqueue($"{logLevel} {category}: {formatter(state, exception)} [{values}] {exception}");
        }

        private static string? Render(object? value) => value switch
        {
            string text => text,
            System.Collections.IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Render)) + "]",
            _ => value?.ToString(),
        };
    }
}

/// <summary>Credentials held in memory for one organization, handed out as the engine's resolver would.</summary>
public sealed class MemoryCredentialResolver : ICredentialResolver
{
    private readonly ConcurrentDictionary<string, IntegrationCredentials> _credentials = new();

    public Guid OrganizationId { get; } = Guid.NewGuid();

    public IntegrationCredentials Add(string integration, IReadOnlyDictionary<string, string> fields)
    {
        var credentials = new IntegrationCredentials(Guid.NewGuid(), integration, fields);
        _credentials[integration] = credentials;
        return credentials;
    }

    private int _calls;

    /// <summary>How many times a credential was asked for (each would be a database round trip in the server).</summary>
    public int Calls => Volatile.Read(ref _calls);

    public Task<IntegrationCredentials?> ResolveAsync(Guid organizationId, string integrationShortName, Guid? credentialId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(organizationId == OrganizationId && _credentials.TryGetValue(integrationShortName, out var c) && (credentialId is null || credentialId == c.Id) ? c : null);
    }
}

/// <summary>The real integrations and typed clients, configured as the server configures them, pointed at stand-ins.</summary>
public sealed class PlatformHarness : IDisposable
{
    private readonly ServiceProvider _services;

    public PlatformHarness(IDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                // Short backoff so retry tests stay fast; Retry-After is still honoured as the platform sends it.
                ["Integrations:Slack:RetryDelayMilliseconds"] = "20",
                ["Integrations:Trello:RetryDelayMilliseconds"] = "20",
                ["Integrations:Slack:MaxRetryAfterSeconds"] = "5",
                ["Integrations:Trello:MaxRetryAfterSeconds"] = "5",
            })
            .AddInMemoryCollection(settings)
            .Build();
        _services = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs))
            .AddNeenaIntegrations(configuration)
            .BuildServiceProvider();
    }

    public LogCapture Logs { get; } = new();

    public MemoryCredentialResolver Credentials { get; } = new();

    public IServiceProvider Services => _services;

    public static TaskDescriptor Task(string integration, string taskName) =>
        IntegrationCatalogue.BuiltIn.Integrations.Single(i => i.ShortName == integration).Tasks.Single(t => t.TaskName == taskName);

    public TaskContext Context(CancellationToken cancellationToken = default) =>
        new(_services, _services.GetRequiredService<ILoggerFactory>().CreateLogger("task"), cancellationToken)
        {
            Credentials = CredentialAccessor.ForOrganization(Credentials, Credentials.OrganizationId),
        };

    public Task<JsonNode?> RunAsync(string integration, string taskName, JsonObject input, CancellationToken cancellationToken = default) =>
        TaskTestSupport.Invoker.InvokeAsync(Task(integration, taskName), input, Context(cancellationToken));

    public T Create<T>() => ActivatorUtilities.CreateInstance<T>(_services);

    public void Dispose() => _services.Dispose();
}
