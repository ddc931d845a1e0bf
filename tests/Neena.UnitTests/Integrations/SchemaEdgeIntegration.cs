using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Neena.Integrations;

namespace Neena.UnitTests.Integrations;

// Types that no built-in integration uses (yet) but the catalogue must describe the way the invoker reads them: every
// scalar System.Text.Json knows, inheritance, overrides, attributes that add, rename or hide a member.

[Integration("schema-edge", "Schema Edge")]
public sealed class SchemaEdgeIntegration
{
    [Task("Edge")]
    public Task<IReadOnlyList<SchemaEdgeInput>> Edge(SchemaEdgeInput input, TaskContext context) =>
        Task.FromResult<IReadOnlyList<SchemaEdgeInput>>([input]);

    [Task("Constructed")]
    public Task<JsonObject> Constructed(SchemaEdgeConstructed input, TaskContext context) => Task.FromResult(new JsonObject());
}

public abstract class SchemaEdgeBase
{
    [Description("Declared on the base class.")]
    public string BaseName { get; init; } = "base";

    public virtual int Overridden { get; init; }
}

public sealed class SchemaEdgeInput : SchemaEdgeBase
{
    public char Letter { get; init; }
    public Uri? Link { get; init; }
    public TimeSpan Span { get; init; }
    public byte[]? Bytes { get; init; }
    public IntegrationAuthType Auth { get; init; }
    public IntegrationAuthType? MaybeAuth { get; init; }
    public byte Small { get; init; }
    public short Tally { get; init; }
    public uint Positive { get; init; }
    public ulong Big { get; init; }
    public Int128 Huge { get; init; }
    public float Ratio { get; init; }
    public decimal Money { get; init; }
    public Half Tiny { get; init; }
    public DateTime At { get; init; }
    public DateOnly Day { get; init; }
    public int? MaybeCount { get; init; }
    public Guid? MaybeId { get; init; }
    public JsonArray? Items { get; init; }
    public JsonNode? Node { get; init; }
    public JsonElement Element { get; init; }
    public object? Anything { get; init; }
    public int[] Numbers { get; init; } = [];
    public IReadOnlyList<SampleItem>? Children { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    [JsonRequired]
    public string Demanded { get; init; } = "";

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Sometimes { get; init; }

    public override int Overridden { get; init; }

    public string Unset { get; set; } = null!;

    public string Computed => BaseName + "!";

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Rest { get; set; }

    public string this[int index] => index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class SchemaEdgeConstructed
{
    public SchemaEdgeConstructed()
    {
        Name = "unused";
    }

    [JsonConstructor]
    public SchemaEdgeConstructed(string name, int? limit, DateTimeOffset since = default)
    {
        Name = name;
        Limit = limit;
        Since = since;
    }

    public string Name { get; }
    public int? Limit { get; }
    public DateTimeOffset Since { get; }
    public string Extra { get; init; } = "extra";
}
