using Neena.Integrations;
using Neena.Integrations.Core;
using Neena.Integrations.Http;
using YamlDotNet.Serialization;

namespace Neena.UnitTests.Integrations;

public sealed class IntegrationCatalogueTests
{
    private static readonly IDeserializer Yaml = new DeserializerBuilder().Build();

    private static TaskDescriptor SampleTask(string method) =>
        IntegrationCatalogue.FromTypes([typeof(SampleIntegration)]).FindTask($"{typeof(SampleIntegration).FullName}.{method}")!;

    [Fact]
    public void BuiltIn_Scan_ListsTheIntegrationsWithTasksInDeclarationOrder()
    {
        var catalogue = IntegrationCatalogue.BuiltIn;

        Assert.Equal(["core", "http", "slack", "trello"], catalogue.Integrations.Select(i => i.ShortName));
        var core = catalogue.Integrations[0];
        Assert.Equal("CoreIntegration", core.ClassName);
        Assert.Equal("Neena Core", core.Name);
        Assert.Equal(IntegrationAuthType.None, core.AuthType);
        Assert.Equal(["Approval", "Echo", "Compose Text", "Wait", "Raise Error"], core.Tasks.Select(t => t.TaskName));
        Assert.Equal(["HTTP Request"], catalogue.Integrations[1].Tasks.Select(t => t.TaskName));
        Assert.Same(catalogue, IntegrationCatalogue.BuiltIn);
    }

    [Fact]
    public void FindTask_ByMethodName_ReturnsDescriptorWithClrMetadata()
    {
        var task = IntegrationCatalogue.BuiltIn.FindTask("Neena.Integrations.Core.CoreIntegration.Echo");

        Assert.NotNull(task);
        Assert.Equal("Echo", task.TaskName);
        Assert.Equal("EchoInput", task.InputType);
        Assert.Equal("EchoOutput", task.OutputType);
        Assert.False(task.OutputIsList);
        Assert.False(string.IsNullOrWhiteSpace(task.Description));
        Assert.Equal(typeof(CoreIntegration), task.IntegrationType);
        Assert.Equal(typeof(EchoInput), task.InputClrType);
        Assert.Equal(typeof(EchoOutput), task.OutputClrType);
        Assert.Equal(nameof(CoreIntegration.Echo), task.Method.Name);
        Assert.Null(IntegrationCatalogue.BuiltIn.FindTask("Neena.Integrations.Core.CoreIntegration.Missing"));
    }

    [Fact]
    public void BuiltIn_EveryParameter_HasDocString()
    {
        var parameters = IntegrationCatalogue.BuiltIn.Tasks.SelectMany(t => t.Parameters.Concat(t.OutputParameters)).ToList();

        Assert.NotEmpty(parameters);
        Assert.All(parameters, p => Assert.False(string.IsNullOrWhiteSpace(p.DocString), p.Name));
    }

    [Fact]
    public void BuiltIn_HttpRequest_DescribesInputAndOutput()
    {
        var task = IntegrationCatalogue.BuiltIn.FindTask("Neena.Integrations.Http.HttpIntegration.HttpRequest")!;

        Assert.Equal(
            [
                new ParameterDescriptor("method", "string", 1, task.Parameters[0].DocString, true),
                new ParameterDescriptor("url", "string", 2, task.Parameters[1].DocString, false),
                new ParameterDescriptor("headers", "object", 3, task.Parameters[2].DocString, true),
                new ParameterDescriptor("body", "object", 4, task.Parameters[3].DocString, true),
                new ParameterDescriptor("timeout_seconds", "number", 5, task.Parameters[4].DocString, true),
                new ParameterDescriptor("retry_unsafe", "boolean", 6, task.Parameters[5].DocString, true),
            ],
            task.Parameters);
        Assert.Equal(["status_code", "headers", "json", "text"], task.OutputParameters.Select(p => p.Name));
        Assert.Equal(["integer", "object", "object", "string"], task.OutputParameters.Select(p => p.DataType));
        Assert.Equal(typeof(HttpRequestInput), task.InputClrType);
        Assert.Equal(["timeout_seconds"], task.SecondsWithinTimeLimit);
    }

    [Fact]
    public void FromTypes_SampleInput_DerivesNamesPositionsTypesAndOptionality()
    {
        var task = SampleTask(nameof(SampleIntegration.ListItems));

        var expected = new (string Name, string Type, bool Optional)[]
        {
            ("name", "string", false),
            ("count", "integer", true),
            ("nickname", "string", true),
            ("ratio", "number", true),
            ("enabled", "boolean", true),
            ("id", "uuid", true),
            ("when", "datetime", true),
            ("tags", "array", true),
            ("scores", "object", true),
            ("extra", "object", true),
            ("customName", "string", true),
            ("required_nullable", "integer", false),
            ("nested", "object", true),
            ("no_default", "string", false),
        };
        Assert.Equal(expected, task.Parameters.Select(p => (p.Name, p.DataType, p.Optional)));
        Assert.Equal(Enumerable.Range(1, expected.Length), task.Parameters.Select(p => p.Position));
        Assert.Equal("The name.", task.Parameters[0].DocString);
        Assert.Null(task.Parameters[1].DocString);
    }

    [Fact]
    public void FromTypes_ListOutput_ReportsElementTypeAndIsList()
    {
        var task = SampleTask(nameof(SampleIntegration.ListItems));

        Assert.True(task.OutputIsList);
        Assert.Equal("SampleItem", task.OutputType);
        Assert.Equal("SampleInput", task.InputType);
        Assert.Equal($"{typeof(SampleIntegration).FullName}.ListItems", task.MethodName);
        Assert.Equal(
            [new ParameterDescriptor("label", "string", 1, null, false), new ParameterDescriptor("score", "integer", 2, null, true)],
            task.OutputParameters);
    }

    [Fact]
    public void FromTypes_ArrayAndDictionaryOutputs_ListOnlyForArray()
    {
        var strings = SampleTask(nameof(SampleIntegration.Strings));
        var dictionary = SampleTask(nameof(SampleIntegration.Dictionary));

        Assert.True(strings.OutputIsList);
        Assert.Equal("String", strings.OutputType);
        Assert.Empty(strings.OutputParameters);
        Assert.False(dictionary.OutputIsList);
        Assert.Empty(dictionary.OutputParameters);
    }

    [Fact]
    public void FromTypes_PositionalRecord_OptionalFollowsConstructorDefaults()
    {
        var task = SampleTask(nameof(SampleIntegration.Positional));

        Assert.Equal([("a", false), ("b", true), ("c", true)], task.Parameters.Select(p => (p.Name, p.Optional)));
        Assert.Equal(IntegrationAuthType.ApiKey, IntegrationCatalogue.FromTypes([typeof(SampleIntegration)]).Integrations[0].AuthType);
    }

    [Fact]
    public void FromTypes_InputYml_ParsesBackWithExampleValues()
    {
        var task = SampleTask(nameof(SampleIntegration.ListItems));

        var document = Yaml.Deserialize<Dictionary<string, object>>(task.InputYml);

        Assert.Equal(task.Parameters.Select(p => p.Name), document.Keys);
        Assert.Equal("example", document["name"]);
        Assert.Equal("0", document["count"]);
        Assert.Equal("0.0", document["ratio"]);
        Assert.Equal("false", document["enabled"]);
        Assert.Equal(Guid.Empty.ToString(), document["id"]);
        Assert.Equal("2024-01-01T00:00:00Z", document["when"]);
        Assert.Empty(Assert.IsType<List<object>>(document["tags"]));
        Assert.Empty(Assert.IsType<Dictionary<object, object>>(document["scores"]));
        Assert.Contains("ratio: 0.0", task.InputYml, StringComparison.Ordinal);
        Assert.DoesNotContain("...", task.InputYml, StringComparison.Ordinal);
    }

    [Fact]
    public void FromTypes_ListOutputYml_IsSequenceWithOneExampleItem()
    {
        var task = SampleTask(nameof(SampleIntegration.ListItems));

        var items = Yaml.Deserialize<List<Dictionary<string, object>>>(task.OutputYml);

        var item = Assert.Single(items);
        Assert.Equal("example", item["label"]);
        Assert.Equal("0", item["score"]);
    }

    [Fact]
    public void BuiltIn_EveryYml_ParsesAsMappingOrListOfMappings()
    {
        foreach (var task in IntegrationCatalogue.BuiltIn.Tasks)
        {
            Assert.NotNull(Yaml.Deserialize<Dictionary<string, object>>(task.InputYml));
            if (task.OutputIsList)
                Assert.NotNull(Assert.Single(Yaml.Deserialize<List<Dictionary<string, object>>>(task.OutputYml)));
            else
                Assert.NotNull(Yaml.Deserialize<Dictionary<string, object>>(task.OutputYml));
        }
    }

    [Fact]
    public void FromAssemblies_AssemblyWithBadSignature_Throws()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => IntegrationCatalogue.FromAssemblies(typeof(BadReturnIntegration).Assembly));

        Assert.Contains("Task<TOutput> Name(TInput input, TaskContext context)", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(typeof(BadReturnIntegration), "Sync")]
    [InlineData(typeof(BadInputIntegration), "StringInput")]
    [InlineData(typeof(BadContextIntegration), "NoContext")]
    [InlineData(typeof(BadStaticIntegration), "Static")]
    public void FromTypes_BadTaskSignature_ThrowsNamingTheMethod(Type integration, string method)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => IntegrationCatalogue.FromTypes([integration]));

        Assert.Contains($"{integration.FullName}.{method}", ex.Message, StringComparison.Ordinal);
    }
}
