using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Neena.Integrations;

namespace Neena.UnitTests.Integrations;

// Integrations that exist only to exercise the catalogue scanner. The malformed ones make a scan of this whole
// assembly fail, which is itself one of the tested behaviours.

[Integration("sample", "Sample", AuthType = IntegrationAuthType.ApiKey)]
public sealed class SampleIntegration
{
    [Task("List Items", Description = "Returns items.")]
    public Task<List<SampleItem>> ListItems(SampleInput input, TaskContext context) =>
        Task.FromResult(new List<SampleItem> { new() { Label = input.Name, Score = input.Count } });

    [Task("Positional")]
    public Task<SampleItem> Positional(PositionalInput input, TaskContext context) =>
        Task.FromResult(new SampleItem { Label = input.A, Score = input.B });

    [Task("Strings")]
    public Task<string[]> Strings(PositionalInput input, TaskContext context) => Task.FromResult(new[] { input.A });

    [Task("Dictionary")]
    public Task<Dictionary<string, int>> Dictionary(PositionalInput input, TaskContext context) =>
        Task.FromResult(new Dictionary<string, int> { [input.A] = input.B });
}

public sealed class SampleInput
{
    [Description("The name.")]
    public required string Name { get; init; }

    public int Count { get; init; }

    public string? Nickname { get; init; }

    public double Ratio { get; init; } = 1.5;

    public bool Enabled { get; init; }

    public Guid Id { get; init; }

    public DateTimeOffset When { get; init; }

    public List<string> Tags { get; init; } = [];

    public Dictionary<string, int>? Scores { get; init; }

    public JsonObject? Extra { get; init; }

    [JsonPropertyName("customName")]
    public string Renamed { get; init; } = "x";

    public required long? RequiredNullable { get; init; }

    public SampleItem? Nested { get; init; }

    public string NoDefault { get; set; } = null!;

    [JsonIgnore]
    public string Ignored { get; set; } = "";
}

public sealed record SampleItem
{
    public required string Label { get; init; }

    public int Score { get; init; }
}

public sealed record PositionalInput(string A, int B = 3, string? C = null);

[Integration("bad-return", "Bad Return")]
public sealed class BadReturnIntegration
{
    [Task("Sync")]
    public string Sync(SampleInput input, TaskContext context) => input.Name;
}

[Integration("bad-input", "Bad Input")]
public sealed class BadInputIntegration
{
    [Task("String Input")]
    public Task<SampleItem> StringInput(string input, TaskContext context) => Task.FromResult(new SampleItem { Label = input });
}

[Integration("bad-context", "Bad Context")]
public sealed class BadContextIntegration
{
    [Task("No Context")]
    public Task<SampleItem> NoContext(SampleInput input) => Task.FromResult(new SampleItem { Label = input.Name });
}

[Integration("bad-static", "Bad Static")]
public sealed class BadStaticIntegration
{
    [Task("Static")]
    public static Task<SampleItem> Static(SampleInput input, TaskContext context) => Task.FromResult(new SampleItem { Label = input.Name });
}
