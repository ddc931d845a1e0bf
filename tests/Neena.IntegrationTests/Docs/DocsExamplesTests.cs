using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Neena.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Neena.IntegrationTests.Docs;

/// <summary>
/// The server on a real port with its engine running and the Slack and Trello stand-ins, and a receiver for
/// notifications on 127.0.0.1 (allowed as the address guard's operator settings allow it).
/// </summary>
public sealed class DocsFactory : PlatformFactory
{
    private WebApplication? _hooks;

    public DocsFactory() => UseKestrel(0);

    public string HookUrl { get; private set; } = "";

    protected override IDictionary<string, string?> ExtraSettings
    {
        get
        {
            var settings = base.ExtraSettings;
            settings["Engine:Enabled"] = "true";
            settings["Engine:RetryBaseDelayMilliseconds"] = "50";
            settings["Engine:ShutdownGraceSeconds"] = "1";
            settings["Integrations:Http:AllowedNetworks:0"] = "127.0.0.1/32";
            // The stand-ins' factory logs everything to find leaked secrets; these examples need no log, and logging costs time.
            foreach (var key in settings.Keys.Where(k => k.StartsWith("Serilog:MinimumLevel", StringComparison.Ordinal)).ToList())
                settings[key] = "Warning";
            return settings;
        }
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _hooks = builder.Build();
        _hooks.MapPost("/neena", () => Results.NoContent());
        await _hooks.StartAsync();
        HookUrl = _hooks.Urls.First() + "/neena";
    }

    public Uri Address
    {
        get
        {
            StartServer();
            return new Uri(Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
                .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First());
        }
    }

    protected override async Task DisposeResourcesAsync()
    {
        if (_hooks is not null)
            await _hooks.DisposeAsync();
        await base.DisposeResourcesAsync();
    }
}

/// <summary>
/// Issue 22 item 2: every curl example of docs/api.md runs, in page order in one shell as a reader would type them,
/// against a real server, and answers the status its <c># → NNN</c> comment documents.
/// </summary>
public sealed class DocsExamplesTests(DocsFactory factory, ITestOutputHelper output) : IClassFixture<DocsFactory>
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task EveryCurlExample_AnswersItsDocumentedStatus()
    {
        var page = await File.ReadAllTextAsync(DocsExamples.RepositoryFile("docs/api.md"));
        var blocks = DocsExamples.Parse(page);
        Assert.NotEmpty(blocks);

        // A block the shell cannot run, or a curl whose answer is not documented, would go stale unnoticed.
        var unrunnable = blocks.Where(b => b.Language is not ("bash" or "sh")).Select(b => $"block at line {b.Line} is `{b.Language}`, not bash").ToList();
        unrunnable.AddRange(blocks
            .Where(b => CurlCount(b.Text) != b.Expected.Count)
            .Select(b => $"block at line {b.Line}: {CurlCount(b.Text)} curl command(s) but {b.Expected.Count} `# → NNN` comment(s)"));
        Assert.True(unrunnable.Count == 0, string.Join('\n', unrunnable));

        // The page tells readers it needs these; a machine without them cannot check the page.
        var missing = new[] { "curl", "jq", "openssl", "base64", "od" }.Where(tool => !OnPath(tool)).ToList();
        Assert.True(missing.Count == 0, $"docs/api.md's examples need {string.Join(", ", missing)} on the PATH");

        var environment = await EnvironmentAsync();
        var (statuses, log) = await RunAsync(blocks, environment);

        var problems = blocks.SelectMany((b, i) => DocsExamples.Compare(b, statuses.GetValueOrDefault(i) ?? [])).ToList();
        var ran = blocks.Where((_, i) => statuses.ContainsKey(i)).Count();
        output.WriteLine($"{blocks.Count} curl blocks in docs/api.md, {ran} ran, {statuses.Values.Sum(s => s.Count)} calls");
        output.WriteLine(log);
        Assert.True(problems.Count == 0, string.Join('\n', problems) + "\n--- shell output (end) ---\n" + Tail(log, 6000));
        Assert.Equal(blocks.Count, ran);
    }

    private static int CurlCount(string text) => DocsExamples.CurlCount(text);

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(dir => File.Exists(Path.Combine(dir, tool)));

    private static string Tail(string text, int length) => text.Length <= length ? text : text[^length..];

    /// <summary>What the page's first block tells a reader to set: the server, a key, and the platforms' secrets.</summary>
    private async Task<Dictionary<string, string>> EnvironmentAsync()
    {
        var tenant = await factory.CreateTenantAsync("you@example.com");
        var trello = factory.Trello.AddAccount();
        var slack = factory.Slack.AddApp();
        factory.Slack.AddChannel("support");
        return new Dictionary<string, string>
        {
            ["NEENA"] = factory.Address.ToString().TrimEnd('/'),
            ["KEY"] = tenant.ApiKey,
            ["JWT"] = NeenaFactory.Jwt("auth0|6650f1d2c3b4a5e6f7a8b9c0", "ada@example.com"),
            ["HOOK_URL"] = factory.HookUrl,
            ["TRELLO_KEY"] = trello.ApiKey,
            ["TRELLO_TOKEN"] = trello.Token,
            ["TRELLO_APP_SECRET"] = trello.AppSecret,
            ["SLACK_BOT_TOKEN"] = slack.BotToken,
            ["SLACK_SIGNING_SECRET"] = slack.SigningSecret,
        };
    }

    /// <summary>Runs the blocks in one bash, with curl wrapped to record each call's status under its block's number.</summary>
    private static async Task<(Dictionary<int, List<int>> Statuses, string Log)> RunAsync(IReadOnlyList<CurlBlock> blocks, Dictionary<string, string> environment)
    {
        var directory = Directory.CreateTempSubdirectory("neena-docs-");
        try
        {
            var statusFile = Path.Combine(directory.FullName, "statuses");
            var script = new StringBuilder("""
                curl() {
                  local out code
                  out=$(mktemp)
                  code=$(command curl -sS --max-time 60 -o "$out" -w '%{http_code}' "$@")
                  echo "$DOCS_BLOCK $code" >> "$DOCS_STATUS"
                  cat "$out"
                  rm -f "$out"
                }

                """);
            for (var i = 0; i < blocks.Count; i++)
            {
                script.Append($"DOCS_BLOCK={i}\necho '=== block {i}, docs/api.md line {blocks[i].Line}'\n");
                script.Append(blocks[i].Text).Append("\necho\n");
            }

            var scriptFile = Path.Combine(directory.FullName, "docs.sh");
            await File.WriteAllTextAsync(scriptFile, script.ToString());
            var start = new ProcessStartInfo("bash", [scriptFile])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = directory.FullName,
            };
            foreach (var (name, value) in environment)
                start.Environment[name] = value;
            start.Environment["DOCS_STATUS"] = statusFile;

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(ScriptTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"the docs' examples did not finish within {ScriptTimeout}: {Tail(await stdout, 4000)}");
            }

            var statuses = new Dictionary<int, List<int>>();
            foreach (var line in File.Exists(statusFile) ? await File.ReadAllLinesAsync(statusFile) : [])
            {
                var parts = line.Split(' ');
                var block = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
                if (!statuses.TryGetValue(block, out var list))
                    statuses[block] = list = [];
                list.Add(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
            }

            return (statuses, await stdout + "\n--- stderr ---\n" + await stderr);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
