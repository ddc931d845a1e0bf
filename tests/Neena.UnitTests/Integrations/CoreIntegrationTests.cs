using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Neena.Integrations;
using static Neena.UnitTests.Integrations.TaskTestSupport;

namespace Neena.UnitTests.Integrations;

public sealed class CoreIntegrationTests
{
    private const string Echo = "Neena.Integrations.Core.CoreIntegration.Echo";
    private const string ComposeText = "Neena.Integrations.Core.CoreIntegration.ComposeText";
    private const string Wait = "Neena.Integrations.Core.CoreIntegration.Wait";
    private const string RaiseError = "Neena.Integrations.Core.CoreIntegration.RaiseError";

    [Fact]
    public async Task Echo_MessageAndData_ReturnsThemUnchanged()
    {
        var output = await InvokeAsync(Echo, new JsonObject
        {
            ["message"] = "hi",
            ["data"] = new JsonObject { ["n"] = 1, ["list"] = new JsonArray(1, "two") },
        });

        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"message":"hi","data":{"n":1,"list":[1,"two"]}}"""),
            output));
    }

    [Fact]
    public async Task Echo_WithoutData_ReturnsNullData()
    {
        var output = await InvokeAsync(Echo, new JsonObject { ["message"] = "hi" });

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"message":"hi","data":null}"""), output));
    }

    [Fact]
    public async Task Echo_MissingMessage_ThrowsTaskInputExceptionNamingField()
    {
        var ex = await Assert.ThrowsAsync<TaskInputException>(() => InvokeAsync(Echo, new JsonObject { ["data"] = 1 }));

        Assert.Contains("message", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Echo_NullMessage_ThrowsTaskInputExceptionNamingField()
    {
        var ex = await Assert.ThrowsAsync<TaskInputException>(() => InvokeAsync(Echo, new JsonObject { ["message"] = null }));

        Assert.Equal("message", ex.Field);
        Assert.Contains("'message'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Hello {name}", """{"name":"World"}""", "Hello World")]
    [InlineData("{a}+{b}={sum}", """{"a":1,"b":2.5,"sum":3.5}""", "1+2.5=3.5")]
    [InlineData("Hi {unknown}!", """{"name":"x"}""", "Hi {unknown}!")]
    [InlineData("{{name}} is {name}", """{"name":"Ann"}""", "{name} is Ann")]
    [InlineData("}} and {{", "{}", "} and {")]
    [InlineData("obj={o} null=[{n}] flag={f}", """{"o":{"k":[1]},"n":null,"f":true}""", """obj={"k":[1]} null=[] flag=true""")]
    [InlineData("open { brace {name}", """{"name":"x"}""", "open { brace x")]
    [InlineData("trailing {", "{}", "trailing {")]
    [InlineData("stray } brace", "{}", "stray } brace")]
    public async Task ComposeText_Template_ReplacesKnownPlaceholders(string template, string values, string expected)
    {
        var output = await InvokeAsync(ComposeText, new JsonObject
        {
            ["template"] = template,
            ["values"] = JsonNode.Parse(values),
        });

        Assert.Equal(expected, output!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task ComposeText_WithoutValues_ReturnsTemplate()
    {
        var output = await InvokeAsync(ComposeText, new JsonObject { ["template"] = "Hello {name}" });

        Assert.Equal("Hello {name}", output!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task Wait_ShortDelay_ReturnsWaitedSeconds()
    {
        var output = await InvokeAsync(Wait, new JsonObject { ["seconds"] = 0.05 });

        Assert.Equal(0.05, output!["waited_seconds"]!.GetValue<double>());
    }

    [Fact]
    public async Task Wait_Cancelled_ThrowsOperationCanceledPromptly()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var stopwatch = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => InvokeAsync(Wait, new JsonObject { ["seconds"] = 60 }, Context(cancellationToken: cts.Token)));

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3600.5)]
    public async Task Wait_SecondsOutOfRange_ThrowsTaskInputException(double seconds)
    {
        var ex = await Assert.ThrowsAsync<TaskInputException>(() => InvokeAsync(Wait, new JsonObject { ["seconds"] = seconds }));

        Assert.Equal("seconds", ex.Field);
    }

    [Fact]
    public async Task Wait_LongerThanTheEnginesTimeLimit_ThrowsTaskInputExceptionWithoutWaiting()
    {
        var context = new TaskContext(new ServiceCollection().BuildServiceProvider(), NullLogger.Instance, TimeSpan.FromSeconds(300), CancellationToken.None);
        var clock = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<TaskInputException>(() => InvokeAsync(Wait, new JsonObject { ["seconds"] = 301 }, context));

        Assert.Equal("seconds", ex.Field);
        Assert.Contains("more than the engine's time limit of 300 s", ex.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Equal(["seconds"], Task(Wait).SecondsWithinTimeLimit);
    }

    [Fact]
    public async Task Wait_SecondsNotANumber_ThrowsTaskInputExceptionNamingField()
    {
        var ex = await Assert.ThrowsAsync<TaskInputException>(() => InvokeAsync(Wait, new JsonObject { ["seconds"] = "soon" }));

        Assert.Equal("seconds", ex.Field);
        Assert.Contains("'seconds'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("number", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RaiseError_Message_ThrowsTaskFailedExceptionWithMessage()
    {
        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => InvokeAsync(RaiseError, new JsonObject { ["message"] = "boom" }));

        Assert.Equal("boom", ex.Message);
    }

    [Fact]
    public async Task InvokeAsync_MissingNonNullableField_ThrowsTaskInputException()
    {
        var task = IntegrationCatalogue.FromTypes([typeof(SampleIntegration)])
            .FindTask($"{typeof(SampleIntegration).FullName}.{nameof(SampleIntegration.ListItems)}")!;

        var ex = await Assert.ThrowsAsync<TaskInputException>(() => Invoker.InvokeAsync(
            task,
            new JsonObject { ["name"] = "n", ["required_nullable"] = null },
            Context()));

        Assert.Equal("no_default", ex.Field);
    }

    [Fact]
    public async Task InvokeAsync_ListOutput_SerialisesSnakeCaseArray()
    {
        var task = IntegrationCatalogue.FromTypes([typeof(SampleIntegration)])
            .FindTask($"{typeof(SampleIntegration).FullName}.{nameof(SampleIntegration.ListItems)}")!;

        var output = await Invoker.InvokeAsync(
            task,
            new JsonObject { ["name"] = "n", ["count"] = 2, ["required_nullable"] = 1, ["no_default"] = "d" },
            Context());

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"label":"n","score":2}]"""), output));
    }
}
