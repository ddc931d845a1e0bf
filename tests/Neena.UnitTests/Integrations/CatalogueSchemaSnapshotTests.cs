using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Neena.Integrations;

namespace Neena.UnitTests.Integrations;

/// <summary>
/// The catalogue's whole view of every task's input and output type (what GET /task_definitions/all answers, plus
/// the nullability the invoker checks) compared with a recorded text, so a change to how types are described shows
/// up as a diff. Set NEENA_UPDATE_SNAPSHOT=1 to re-record after a deliberate change.
/// </summary>
public sealed class CatalogueSchemaSnapshotTests
{
    private const string SnapshotFile = "CatalogueSchemaSnapshot.json";

    [Fact]
    public void Catalogue_TypeViews_MatchTheRecordedSnapshot()
    {
        var actual = Describe(IntegrationCatalogue.BuiltIn, IntegrationCatalogue.FromTypes([typeof(SampleIntegration), typeof(SchemaEdgeIntegration)]));

        if (Environment.GetEnvironmentVariable("NEENA_UPDATE_SNAPSHOT") == "1")
        {
            File.WriteAllText(SourcePath(), actual);
        }

        var expected = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Integrations", SnapshotFile)).ReplaceLineEndings("\n");
        Assert.Equal(expected, actual);
    }

    private static string SourcePath([CallerFilePath] string path = "") => Path.Combine(Path.GetDirectoryName(path)!, SnapshotFile);

    private static string Describe(params IntegrationCatalogue[] catalogues)
    {
        var root = new JsonArray();
        foreach (var integration in catalogues.SelectMany(c => c.Integrations))
        {
            var tasks = new JsonArray();
            foreach (var task in integration.Tasks)
            {
                tasks.Add(new JsonObject
                {
                    ["method"] = task.MethodName,
                    ["input_type"] = task.InputType,
                    ["output_type"] = task.OutputType,
                    ["output_is_list"] = task.OutputIsList,
                    ["parameters"] = Parameters(task.Parameters),
                    ["output_parameters"] = Parameters(task.OutputParameters),
                    ["input_yml"] = task.InputYml,
                    ["output_yml"] = task.OutputYml,
                    ["seconds_within_time_limit"] = new JsonArray([.. task.SecondsWithinTimeLimit.Select(s => (JsonNode)s)]),
                    ["input_nullable"] = new JsonArray([.. TypeSchema.DescribeFields(task.InputClrType)
                        .Where(f => f.Nullable).Select(f => (JsonNode)f.Descriptor.Name)]),
                });
            }

            var triggers = new JsonArray();
            foreach (var trigger in integration.Triggers)
            {
                triggers.Add(new JsonObject
                {
                    ["name"] = trigger.TriggerName,
                    ["fields"] = new JsonArray([.. trigger.EventFields.Select(f => (JsonNode)new JsonObject
                    {
                        ["name"] = f.Name,
                        ["json_path"] = f.JsonPath,
                        ["data_type"] = f.DataType,
                        ["doc_string"] = f.DocString,
                        ["optional"] = f.Optional,
                    })]),
                });
            }

            root.Add(new JsonObject { ["integration"] = integration.ShortName, ["tasks"] = tasks, ["triggers"] = triggers });
        }

        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        return root.ToJsonString(options).ReplaceLineEndings("\n") + "\n";
    }

    private static JsonArray Parameters(IReadOnlyList<ParameterDescriptor> parameters) =>
        new([.. parameters.Select(p => (JsonNode)new JsonObject
        {
            ["name"] = p.Name,
            ["data_type"] = p.DataType,
            ["position"] = p.Position,
            ["doc_string"] = p.DocString,
            ["optional"] = p.Optional,
        })]);
}
