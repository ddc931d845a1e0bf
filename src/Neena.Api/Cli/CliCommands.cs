using Microsoft.EntityFrameworkCore;
using Neena.Api.Hosting;
using Neena.Api.Services;
using Neena.Domain.ApiKeys;
using Neena.Domain.Common;
using Neena.Domain.Users;
using Neena.Persistence;

namespace Neena.Api.Cli;

/// <summary>
/// Operator commands run instead of the server: <c>migrate</c> and <c>create-api-key</c>. They use the same
/// configuration and database choice as the server; logs go to stderr so stdout carries only results.
/// </summary>
public static class CliCommands
{
    private const string Usage = """
        Usage:
          Neena.Api                       run the server
          Neena.Api migrate               apply database migrations and exit
          Neena.Api create-api-key --email E [--full-name N] [--organization NAME] [--permissions read,write] [--name KEY_NAME]
                                          create the organization and user when missing and print a new API key (last line)
        """;

    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] is "migrate" or "create-api-key" or "help" or "--help";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args[0] is "help" or "--help")
        {
            Console.WriteLine(Usage);
            return 0;
        }
        Dictionary<string, string> options;
        try
        {
            options = ParseOptions(args.Skip(1).ToArray());
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message + Environment.NewLine + Usage);
            return 2;
        }

        var builder = NeenaApi.CreateBuilder([], logToStandardError: true);
        await using var app = builder.Build();
        var bootstrap = app.Services.GetRequiredService<DatabaseBootstrap>();
        try
        {
            await NeenaApi.PrepareDatabaseAsync(app);
            return args[0] switch
            {
                "migrate" => Migrated(),
                _ => await CreateApiKeyAsync(app.Services, options),
            };
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message + Environment.NewLine + Usage);
            return 2;
        }
        catch (StartupException e)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message);
            return 1;
        }
        finally
        {
            await bootstrap.StopEmbeddedAsync(onlyIfStartedHere: true);
        }
    }

    private static int Migrated()
    {
        Console.WriteLine("Database is migrated.");
        return 0;
    }

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Unexpected argument '{name}'.");
            options[name[2..]] = args[++i];
        }
        return options;
    }

    private static async Task<int> CreateApiKeyAsync(IServiceProvider services, Dictionary<string, string> options)
    {
        if (!options.TryGetValue("email", out var email) || !new FluentValidation.Validators.AspNetCoreCompatibleEmailValidator<string>().IsValid(null!, email))
            throw new ArgumentException("--email must be a valid email address.");
        var unknown = options.Keys.Except(["email", "full-name", "organization", "permissions", "name"]).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Unknown option --{unknown[0]}.");
        var permissions = options.TryGetValue("permissions", out var list)
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
            : [.. Permissions.All];
        if (permissions.Count == 0 || permissions.Any(p => !Permissions.IsKnown(p)))
            throw new ArgumentException("--permissions must be a comma-separated list of: read, write.");

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NeenaDbContext>();
        var normalized = User.Normalize(email);
        var user = await db.Users.IgnoreQueryFilters().FirstOrDefaultAsync(u => u.NormalizedEmail == normalized);
        if (user is null)
        {
            var organizationName = options.GetValueOrDefault("organization") ?? $"{email}'s organization";
            var organization = await db.Organizations.FirstOrDefaultAsync(o => o.Name == organizationName && o.ExternalId == null)
                ?? await UserService.EnsureOrganizationAsync(db, null, organizationName, CancellationToken.None);
            user = new User
            {
                Email = email,
                NormalizedEmail = normalized,
                FullName = options.GetValueOrDefault("full-name"),
                OrganizationId = organization.Id,
                CreatedByEmail = email,
            };
            db.Users.Add(user);
            await db.SaveChangesAsync();
            Console.WriteLine($"Created user {user.Email} ({user.Id}) in organization '{organization.Name}' ({organization.Id}).");
        }
        else
        {
            Console.WriteLine($"Using existing user {user.Email} ({user.Id}) of organization {user.OrganizationId}.");
        }

        var (key, plaintext) = ApiKey.Issue(user.OrganizationId, user.Id, options.GetValueOrDefault("name") ?? "command line", permissions, null);
        key.CreatedByEmail = user.Email;
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync();
        Console.WriteLine($"Created API key {key.Id} ({key.Prefix}…, permissions: {string.Join(',', key.Permissions)}). It is shown once:");
        Console.WriteLine(plaintext);
        return 0;
    }
}
