using System.Diagnostics;
using System.Net;
using Neena.IntegrationTests.Infrastructure;

namespace Neena.IntegrationTests.Platform;

/// <summary>The server's command line, run as a real process the way an operator runs it.</summary>
public sealed class CommandLineTests(NeenaFactory factory) : IClassFixture<NeenaFactory>
{
    [Fact]
    public async Task CreateApiKey_NewEmail_PrintsAWorkingKeyAsTheLastLine()
    {
        var email = $"ops-{Guid.NewGuid():N}@example.com";

        var (exitCode, stdout, stderr) = await RunAsync(
            ["create-api-key", "--email", email, "--full-name", "Ops Person", "--organization", "Ops Org", "--permissions", "read"],
            factory.ConnectionString);

        Assert.True(exitCode == 0, stderr);
        var key = stdout.TrimEnd().Split('\n')[^1].Trim();
        Assert.StartsWith("nk_", key, StringComparison.Ordinal);
        Assert.DoesNotContain(key, stderr, StringComparison.Ordinal);
        foreach (var client in new[] { factory.ClientWithBearer(key), factory.ClientWithApiKeyHeader(key) })
        {
            var me = await client.GetAsync("/api/v1/users/");
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
            var body = await me.ReadJsonAsync();
            Assert.Equal(email, body["email"]!.GetValue<string>());
            Assert.Equal(["read"], body["permissions"]!.AsArray().Select(p => p!.GetValue<string>()));
        }
    }

    [Fact]
    public async Task CreateApiKey_ExistingUser_ReusesUserAndOrganization()
    {
        var tenant = await factory.CreateTenantAsync();

        var (exitCode, stdout, stderr) = await RunAsync(["create-api-key", "--email", tenant.Email.ToUpperInvariant()], factory.ConnectionString);

        Assert.True(exitCode == 0, stderr);
        var key = stdout.TrimEnd().Split('\n')[^1].Trim();
        var body = await (await factory.ClientWithBearer(key).GetAsync("/users/")).ReadJsonAsync();
        Assert.Equal(tenant.UserId.ToString(), body["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateApiKey_BadArguments_ExitsNonZeroWithUsage()
    {
        var (exitCode, _, stderr) = await RunAsync(["create-api-key", "--email", "not-an-email"], factory.ConnectionString);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("--email", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_ConfiguredDatabase_Succeeds()
    {
        var (exitCode, stdout, stderr) = await RunAsync(["migrate"], factory.ConnectionString);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("migrated", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_ProductionWithoutConnectionString_RefusesToStart()
    {
        var (exitCode, stdout, stderr) = await RunAsync([], connectionString: null);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("ConnectionStrings__Neena", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_ProductionWithSymmetricJwtSigningKey_RefusesToStart()
    {
        var (exitCode, stdout, stderr) = await RunAsync([], factory.ConnectionString, new Dictionary<string, string>
        {
            ["Auth__Jwt__SigningKey"] = Convert.ToBase64String(NeenaFactory.SigningKey),
            ["Auth__Jwt__Issuer"] = NeenaFactory.Issuer,
            ["Auth__Jwt__Audience"] = NeenaFactory.Audience,
        });

        Assert.NotEqual(0, exitCode);
        Assert.Contains("symmetric JWT signing key is refused in the Production environment", stdout + stderr, StringComparison.Ordinal);
        Assert.Contains("Auth__Jwt__Authority", stdout + stderr, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string[] args, string? connectionString, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Neena.Api.dll"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment.Remove("ConnectionStrings__Neena");
        if (connectionString is not null)
            start.Environment["ConnectionStrings__Neena"] = connectionString;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // A server that starts when it should have refused would otherwise outlive the test run.
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The process did not exit within 2 minutes. stderr: {await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
