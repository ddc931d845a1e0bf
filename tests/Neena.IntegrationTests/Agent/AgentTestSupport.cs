using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Neena.IntegrationTests.Engine;
using Neena.IntegrationTests.Infrastructure;
using Neena.IntegrationTests.StandIns;

namespace Neena.IntegrationTests.Agent;

/// <summary>
/// The server configured with <c>LanguageModel:Provider = openai</c> against the OpenAI-compatible stand-in, with the
/// engine tuned as in <see cref="EngineFactory"/>, and its log also written to a file so tests can read what it logged.
/// </summary>
public sealed class ModelFactory : NeenaFactory, IAsyncLifetime
{
    public const int TimeoutSeconds = 2;
    public const int DefaultRetryAfterSeconds = 4;

    public OpenAiServer Model { get; private set; } = null!;

    public string LogPath { get; } = Path.Combine(Path.GetTempPath(), $"neena-agent-test-{Guid.NewGuid():N}.log");

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Engine:PollIntervalSeconds"] = "60",
        ["Engine:RetryBaseDelayMilliseconds"] = "50",
        ["Engine:ShutdownGraceSeconds"] = "1",
        ["LanguageModel:Provider"] = "openai",
        ["LanguageModel:Endpoint"] = Model.Endpoint,
        ["LanguageModel:ApiKey"] = Model.ApiKey,
        ["LanguageModel:Model"] = OpenAiServer.ModelName,
        ["LanguageModel:TimeoutSeconds"] = TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["LanguageModel:DefaultRetryAfterSeconds"] = DefaultRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        // As a configuration source, not UseSetting: settings travel as command-line arguments, where the empty parent
        // keys of a list ("Serilog:WriteTo:0") read as empty sink names.
        builder.ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Serilog:MinimumLevel:Default"] = "Verbose",
            ["Serilog:WriteTo:0:Name"] = "File",
            ["Serilog:WriteTo:0:Args:path"] = LogPath,
        }));
    }

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        Model = await OpenAiServer.StartAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await TestDatabase.DropDatabaseAsync(ConnectionString);
        await Model.DisposeAsync();
        File.Delete(LogPath);
    }

    /// <summary>What the server logged so far (the file stays open for writing while the server runs).</summary>
    public string ReadLog()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

public static class AgentTestSupport
{
    public const string GreetingRequest = "Send a greeting composed from the request's name";

    /// <summary>Metadata that lets the greeting flow run without a model: the template and its values, found by name.</summary>
    public static readonly object[] GreetingMetadata = [new { template = "Hello, {name}!", values = new { name = "Ada" } }];

    public static async Task<string> CreateFlowRequestAsync(HttpClient client, string instructions, string? name = null, object? metadata = null)
    {
        var response = await client.PostJsonAsync("/api/v1/flow_requests/", new
        {
            request_instructions = instructions,
            request_name = name,
            request_metadata = metadata ?? Array.Empty<object>(),
        });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync())["id"]!.GetValue<string>();
    }

    public static async Task<JsonNode> GenerateAsync(HttpClient client, string requestId)
    {
        var response = await client.GetAsync($"/api/v1/flows/generate?flow_request_id={requestId}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.ReadJsonAsync();
    }

    public static JsonObject Operation(JsonNode flow, int index) =>
        flow["task_operations"]!.AsArray().Single(o => o!["index"]!.GetValue<int>() == index)!.AsObject();

    public static IEnumerable<(int Source, int Target)> Dependencies(JsonNode flow) =>
        flow["dependencies"]!.AsArray().Select(d => (d!["source_task_operation"]!.GetValue<int>(), d["target_task_operation"]!.GetValue<int>()));
}
