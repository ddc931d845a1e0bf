using Neena.Api.Cli;
using Neena.Api.Hosting;

if (CliCommands.IsCommand(args))
    return await CliCommands.RunAsync(args);

var app = NeenaApi.Build(args);
try
{
    await NeenaApi.PrepareDatabaseAsync(app);
}
catch (StartupException e)
{
    await Console.Error.WriteLineAsync("Neena cannot start: " + e.Message);
    return 1;
}
await app.RunAsync();
return 0;

/// <summary>The entry point; public for <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
