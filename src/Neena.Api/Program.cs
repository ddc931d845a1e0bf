using Neena.Api.Cli;
using Neena.Api.Hosting;

if (CliCommands.IsCommand(args))
    return await CliCommands.RunAsync(args);

var app = NeenaApi.Build(args);
await NeenaApi.PrepareDatabaseAsync(app);
await app.RunAsync();
return 0;

/// <summary>The entry point; public for <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
