using System.Text.Json.Nodes;
using Neena.Agent.Preparation;
using Neena.Domain.Catalogue;
using Neena.Domain.FlowRuns;

namespace Neena.UnitTests.Agent;

/// <summary>
/// The preparation record is capped without writing whole values as text (issue 23): what it keeps must be exactly
/// what capping the whole text kept, and preparing over a large request must not copy that request as text.
/// </summary>
public sealed class PreparationRecordTests
{
    private const int Max = PreparationRecord.MaxChars;

    /// <summary>How the record capped a value before: its whole JSON text, then <see cref="PreparationRecord.Cap(string)"/>.</summary>
    private static JsonNode? CapOfWholeText(JsonNode? value)
    {
        if (value is null)
            return null;
        var text = value.ToJsonString(PreparationJson.Compact);
        return text.Length <= Max ? value.DeepClone() : JsonValue.Create(PreparationRecord.Cap(text));
    }

    public static TheoryData<string> Values()
    {
        // Lengths around the cap; two-byte, three-byte and four-byte (surrogate pair) characters, one of which lands on
        // the cap's last character whatever the padding; escapes (quotes, control characters) that grow in the text.
        var data = new TheoryData<string>
        {
            "{\"a\": 1}",
            "null",
            "\"" + new string('x', Max - 2) + "\"",
            "\"" + new string('x', Max - 1) + "\"",
            "[" + string.Join(",", Enumerable.Range(0, 5000)) + "]",
            "{\"message\": \"" + new string('m', 530_000) + "\", \"data\": [" + string.Join(",", Enumerable.Range(0, 20_000).Select(i => $"\"v{i}\"")) + "]}",
            "\"" + string.Concat(Enumerable.Repeat("é中\\\"\\n\\u0001<>&'", 3000)) + "\"",
        };
        for (var pad = 0; pad < 4; pad++)
            data.Add("\"" + new string('p', Max - 3 + pad) + string.Concat(Enumerable.Repeat("😀", 100)) + "\"");
        return data;
    }

    [Theory]
    [MemberData(nameof(Values))]
    public void Cap_AnyValue_IsWhatCappingItsWholeJsonTextGave(string json)
    {
        var value = JsonNode.Parse(json);

        var capped = PreparationRecord.Cap(value);

        var expected = CapOfWholeText(value);
        Assert.Equal(expected?.ToJsonString(PreparationJson.Compact), capped?.ToJsonString(PreparationJson.Compact));
    }

    private static readonly TaskDefinitionInfo Echo = new("Echo", "Returns its input.",
    [
        new ParameterDefinition("message", "string", 1, "the message", false),
        new ParameterDefinition("data", "object", 2, "the data", true),
        new ParameterDefinition("extra", "string", 3, "more", true),
    ]);

    private static TaskRun Task(int index, int[] dependsOn, JsonNode? result = null, JsonObject? parameters = null) => new()
    {
        TaskOperationIndex = index,
        OperationName = $"echo {index}",
        Instruction = $"echo step {index}",
        DependsOn = [.. dependsOn],
        SortedIndex = index,
        Status = result is null ? RunStatus.Pending : RunStatus.Completed,
        Result = result,
        Parameters = parameters,
    };

    public static TheoryData<string, int> Requests()
    {
        var data = new TheoryData<string, int>
        {
            { "[{\"channel\": \"#general\"}]", 0 },
            { "[{\"message\": \"" + new string('m', 530_000) + "\", \"data\": [" + string.Join(",", Enumerable.Range(0, 55_000).Select(i => $"\"v{i}\"")) + "]}]", 4_000 },
            { "[{\"message\": \"é中<>&\\\"\", \"data\": {\"k\": [1.50, 1e2, true, null]}}]", 5_000 },
        };
        // A surrogate pair on the record's last character, whatever the length of the text before the metadata.
        for (var pad = 0; pad < 4; pad++)
            data.Add("[{\"message\": \"" + new string('p', Max - 200 + pad) + string.Concat(Enumerable.Repeat("😀", 200)) + "\"}]", pad);
        return data;
    }

    /// <summary>Without a model the record is built apart from the prompt; it must be the capped prompt, character for character.</summary>
    [Theory]
    [MemberData(nameof(Requests))]
    public void BuildRecord_AnyRequest_IsTheCappedPrompt(string metadata, int ancestorChars)
    {
        var request = new FlowRequestInfo("Echo it all " + new string('i', ancestorChars % 7), "large", JsonNode.Parse(metadata)!.AsArray());
        var ancestor = Task(0, [], ancestorChars == 0 ? null : new JsonObject { ["out"] = new string('o', ancestorChars), ["n"] = "ü" });
        var bound = new Dictionary<string, Resolved>(StringComparer.Ordinal)
        {
            ["extra"] = new(JsonValue.Create(new string('b', ancestorChars * 5)), "binding literal"),
        };
        var task = Task(1, [0]);
        var preparation = new PreparationRequest(request, "flow", task, Echo, [ancestor, task], [new DependencyInfo(0, 1, null)]);
        var parameters = Echo.Parameters;
        var unresolved = parameters.Where(p => p.Name != "extra").ToList();
        IReadOnlyList<TaskRun> ancestors = ancestorChars == 0 ? [] : [ancestor];

        var record = PreparationPrompt.BuildRecord(preparation, parameters, bound, unresolved, ancestors);

        var whole = PreparationPrompt.Build(preparation, parameters, bound, unresolved, ancestors);
        Assert.Equal(whole.Select(m => (m.Role, PreparationRecord.Cap(m.Text))), record);
    }

    /// <summary>
    /// The engine prepares each task of a run over the whole request: over 1 MB of metadata, the record must not cost
    /// copies of it as text (four per task before, and the whole text of each value it capped).
    /// </summary>
    [Fact]
    public async Task PrepareAsync_WithoutAModelOverAMegabyteOfMetadata_DoesNotWriteTheMetadataAsText()
    {
        // Read from its stored text, as the engine reads it.
        var text = new JsonArray(new JsonObject
        {
            ["message"] = new string('m', 530_000),
            ["data"] = new JsonArray(Enumerable.Range(0, 55_000).Select(i => (JsonNode)JsonValue.Create("v" + i)).ToArray()),
        }).ToJsonString();
        var metadata = JsonNode.Parse(text)!.AsArray();
        var task = Task(0, []);
        var request = new PreparationRequest(new FlowRequestInfo("Echo it", null, metadata), "flow", task, Echo, [task]);
        var preparer = new TaskPreparer();
        await preparer.PrepareAsync(request, CancellationToken.None);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var prepared = preparer.PrepareAsync(request, CancellationToken.None);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(prepared.IsCompletedSuccessfully);
        Assert.Null((await prepared).Error);
        // Less than one copy of the metadata as text (2 bytes a character): the input is one copy of the values it
        // takes (the stored bytes of each), the record keeps 16 KiB of each. Before: 10.3 MB, now about 0.6 MB.
        Assert.True(allocated < text.Length * 2L, $"{allocated:N0} bytes allocated for {text.Length:N0} characters of metadata");
    }
}
