using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Neena.StandIns;
using Serilog.Core;
using Serilog.Events;

namespace Neena.IntegrationTests.Infrastructure;

/// <summary>Every event the server logs, at every level: rendered message, properties and exception.</summary>
public sealed class LogEvents : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> _events = new();

    public IReadOnlyList<LogEvent> Events => _events.ToList();

    public string All => string.Join('\n', _events.Select(Text));

    public static string Text(LogEvent e) =>
        $"{e.Level} {e.RenderMessage(System.Globalization.CultureInfo.InvariantCulture)} " +
        $"[{string.Join(", ", e.Properties.Select(p => $"{p.Key}={p.Value}"))}] {e.Exception}";

    public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);

    /// <summary>Has the server <paramref name="builder"/> builds log every event here too (from its factory's ConfigureWebHost).</summary>
    public void KeepFrom(IWebHostBuilder builder) => builder.ConfigureServices(services => services.AddSingleton<ILogEventSink>(this));
}

/// <summary>The server with its Slack and Trello base URLs pointed at local stand-ins, logging everything to <see cref="Logs"/>.</summary>
public class PlatformFactory : NeenaFactory
{
    // Every level of every source, including those the server quietens by default, so a secret cannot hide below the level.
    private static readonly string[] QuietSources =
    [
        "Microsoft", "System", "Microsoft.AspNetCore", "Microsoft.EntityFrameworkCore", "Microsoft.EntityFrameworkCore.Database.Command",
        "Microsoft.EntityFrameworkCore.Update", "Microsoft.AspNetCore.DataProtection", "Microsoft.Hosting.Lifetime",
    ];

    public TrelloServer Trello { get; protected set; } = null!;

    public SlackServer Slack { get; protected set; } = null!;

    public LogEvents Logs { get; } = new();

    protected override IDictionary<string, string?> ExtraSettings
    {
        get
        {
            var settings = new Dictionary<string, string?>
            {
                ["Engine:Enabled"] = "false",
                ["Integrations:Trello:BaseUrl"] = Trello.BaseUrl,
                ["Integrations:Slack:BaseUrl"] = Slack.BaseUrl,
                ["Serilog:MinimumLevel:Default"] = "Verbose",
            };
            foreach (var source in QuietSources)
                settings[$"Serilog:MinimumLevel:Override:{source}"] = "Verbose";
            return settings;
        }
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Trello = await TrelloServer.StartAsync();
        Slack = await SlackServer.StartAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        Logs.KeepFrom(builder);
    }

    protected override async Task DisposeResourcesAsync()
    {
        await Trello.DisposeAsync();
        await Slack.DisposeAsync();
        await base.DisposeResourcesAsync();
    }
}

/// <summary>Another server instance on the same database and stand-ins as <paramref name="first"/>, as a second replica would be.</summary>
public sealed class SecondInstanceFactory(PlatformFactory first) : PlatformFactory
{
    public override Task InitializeAsync()
    {
        ConnectionString = first.ConnectionString;
        Trello = first.Trello;
        Slack = first.Slack;
        return Task.CompletedTask;
    }

    // The first instance owns the database and the stand-ins.
    protected override Task DisposeResourcesAsync() => Task.CompletedTask;
}
