using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Neena.IntegrationTests.Infrastructure;
using Neena.IntegrationTests.Notifications;
using Neena.IntegrationTests.Triggers;
using NJsonSchema.CodeGeneration.CSharp;
using NSwag.CodeGeneration.CSharp;

namespace Neena.IntegrationTests.Platform;

/// <summary>
/// A client generated from the served OpenAPI document (NSwag, C#) is compiled with Roslyn, together with a scenario
/// written against it, and calls every operation of both surfaces over HTTP. Its Newtonsoft.Json models enforce what the
/// document says (required fields present, non-nullable ones never null, enum values known), so every answer also
/// checks the document.
/// </summary>
public sealed class GeneratedClientTests(GeneratedClientTests.Factory factory) : IClassFixture<GeneratedClientTests.Factory>
{
    /// <summary>The default server, allowed to deliver notifications to the local receiver and to retry them quickly.</summary>
    public sealed class Factory : NeenaFactory
    {
        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            ["Integrations:Http:AllowedNetworks:0"] = "127.0.0.1/32",
            ["Notifications:RetryBaseDelay"] = "00:00:00.200",
            ["Notifications:MaxRetryDelay"] = "00:00:01",
            ["Notifications:Timeout"] = "00:00:05",
            ["Notifications:PollInterval"] = "00:00:01",
        };
    }

    [Fact]
    public async Task GeneratedClient_FromTheServedDocument_CallsEveryOperationOnBothSurfaces()
    {
        var json = await factory.CreateClient().GetStringAsync("/swagger/v1/swagger.json");
        var document = await NSwag.OpenApiDocument.FromJsonAsync(json);
        var settings = new CSharpClientGeneratorSettings { ClassName = "{controller}Client" };
        settings.CSharpGeneratorSettings.Namespace = "Neena.Generated";
        settings.CSharpGeneratorSettings.JsonLibrary = CSharpJsonLibrary.NewtonsoftJson;
        var code = new CSharpClientGenerator(document, settings).GenerateFile();
        var tenant = await factory.CreateTenantAsync();
        var recorder = new Recorder();
        var v1 = factory.CreateDefaultClient(recorder);
        v1.DefaultRequestHeaders.Authorization = new("Bearer", tenant.ApiKey);
        var legacy = factory.CreateDefaultClient(recorder);
        legacy.DefaultRequestHeaders.Add("api_key", tenant.ApiKey);
        var (email, subject) = ($"grace-{Guid.NewGuid():N}@example.com", "auth0|" + Guid.NewGuid().ToString("N"));
        var jwt = factory.CreateDefaultClient(recorder);
        jwt.DefaultRequestHeaders.Authorization = new("Bearer", NeenaFactory.Jwt(subject, email));
        const string webhookSecret = "whsec_generated_client";
        // With a flow of its own, so that the delivery the scenario sends runs it instead of planning one.
        var echo = await factory.TaskDefinitionIdAsync("core", "Echo");
        var echoFlow = await Engine.EngineTestSupport.CreateFlowAsync(factory.ClientWithBearer(tenant.ApiKey), "echo the order", [new Engine.Op(0, echo, new { message = "{{request.instructions}}" })]);
        var webhook = await factory.CreateOperationAsync(tenant, "core", "Incoming Webhook", "Handle the order <{payload}>", flowId: Guid.Parse(echoFlow), signingSecret: webhookSecret);
        await using var receiver = await NotificationReceiver.StartAsync();
        var context = new AssemblyLoadContext("generated client", isCollectible: true);

        try
        {
            var scenario = Compile(context, [code, .. ScenarioSources()]).GetType("Neena.ClientScenario.Scenario", throwOnError: true)!;
            var run = (Task<List<string>>)scenario.GetMethod("RunAsync")!.Invoke(null, [v1, legacy, jwt, email, subject, webhook, webhookSecret, receiver.Url("/generated-client")])!;
            var steps = await run;

            Assert.Equal(["users", "catalogue", "api_keys", "integration_credentials", "webhook_trigger_definitions", "webhooks", "v1 flows", "legacy flows", "observing runs", "generation", "webhook_triggers", "automation"], steps);
            var documented = Operations(json);
            Assert.True(documented.Count >= 136, $"{documented.Count} operations");
            Assert.Empty(documented.Where(operation => !recorder.Calls.Any(call => Matches(operation, call))).Order());
        }
        finally
        {
            context.Unload();
        }
    }

    private static Assembly Compile(AssemblyLoadContext context, params string[] sources)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create(
            "Neena.GeneratedClient",
            sources.Select(s => CSharpSyntaxTree.ParseText(s, parse)),
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Disable));
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        Assert.True(result.Success, string.Join('\n', result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(20)));
        image.Position = 0;
        return context.LoadFromStream(image);
    }

    /// <summary>The scenario's files (<c>GeneratedClient/*.cs</c>, embedded as resources).</summary>
    private static IEnumerable<string> ScenarioSources()
    {
        var assembly = typeof(GeneratedClientTests).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("GeneratedClient.", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            yield return reader.ReadToEnd();
        }
    }

    /// <summary>Whether a recorded call is of a documented operation, whose path may hold <c>{parameters}</c>.</summary>
    private static bool Matches(string operation, string call) =>
        System.Text.RegularExpressions.Regex.IsMatch(call,
            "^" + System.Text.RegularExpressions.Regex.Replace(System.Text.RegularExpressions.Regex.Escape(operation.TrimEnd('/')), @"\\\{[a-z_]+}", "[^/]+") + "$");

    /// <summary>Every operation of the document as <c>METHOD /path</c>.</summary>
    private static HashSet<string> Operations(string json) =>
        System.Text.Json.Nodes.JsonNode.Parse(json)!["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => $"{m.Key.ToUpperInvariant()} {p.Key}"))
            .ToHashSet();

    /// <summary>Records what went over the wire, as <c>METHOD /path</c> without the query or a trailing slash.</summary>
    private sealed class Recorder : DelegatingHandler
    {
        private readonly ConcurrentDictionary<string, bool> _calls = new();

        public IEnumerable<string> Calls => _calls.Keys;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            _calls.TryAdd($"{request.Method.Method} {request.RequestUri!.AbsolutePath.TrimEnd('/')}", true);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
