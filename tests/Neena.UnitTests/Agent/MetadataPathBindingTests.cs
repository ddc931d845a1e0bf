using System.Text.Json;
using System.Text.Json.Nodes;
using Neena.Agent.Preparation;
using Neena.Domain.Catalogue;
using Neena.Domain.FlowRuns;
using Neena.Domain.Flows;

namespace Neena.UnitTests.Agent;

/// <summary><c>{{request.metadata.KEY.PATH}}</c> (§4): the first metadata object holding KEY, then a dot path into it.</summary>
public sealed class MetadataPathBindingTests
{
    private static readonly FlowRequestInfo Request = new(
        "Ship the order",
        null,
        new JsonArray(
            new JsonObject { ["customer"] = "Acme" },
            JsonNode.Parse("""{"order": {"id": "A-1042", "items": [{"sku": "X1", "qty": 2}, {"sku": "Y2", "qty": 5}], "total": 129.5}}"""),
            JsonNode.Parse("""{"order": {"id": "later object, never read"}}""")));

    private static readonly TaskDefinitionInfo Definition = new("Echo", "Returns its input.",
        [new ParameterDefinition("message", "string", 1, "the message", false), new ParameterDefinition("data", "object", 2, "the data", true)]);

    private static Task<PreparedTask> PrepareAsync(JsonObject parameters)
    {
        var task = new TaskRun { TaskOperationIndex = 0, OperationName = "op0", Parameters = parameters, DependsOn = [], Status = RunStatus.Pending };
        return new TaskPreparer().PrepareAsync(new PreparationRequest(Request, "flow", task, Definition, [task]), CancellationToken.None);
    }

    [Fact]
    public void Parse_KeyAndPath_IsAMetadataReferenceWithThePath()
    {
        var reference = BindingTemplate.ParseReference("request.metadata.order.items.1.sku");

        var metadata = Assert.IsType<BindingReference.RequestMetadata>(reference);
        Assert.Equal("order", metadata.Key);
        Assert.Equal(["items", "1", "sku"], metadata.Path);
        Assert.Null(BindingTemplate.ParseReference("request.metadata.order..sku"));
        Assert.Empty(Assert.IsType<BindingReference.RequestMetadata>(BindingTemplate.ParseReference("request.metadata.order")).Path);
    }

    [Fact]
    public async Task Path_FollowsObjectsAndNumericArraySegments_KeepingTheJsonType()
    {
        var prepared = await PrepareAsync(new JsonObject
        {
            ["message"] = "{{request.metadata.order.id}}: {{request.metadata.order.items.1.qty}} × {{request.metadata.order.items.1.sku}}",
            ["data"] = new JsonObject { ["total"] = "{{request.metadata.order.total}}", ["first"] = "{{request.metadata.order.items.0}}" },
        });

        Assert.Null(prepared.Error);
        // The first object holding "order" is read; the later one is another record, not a fallback.
        Assert.Equal("A-1042: 5 × Y2", prepared.Input["message"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.Number, prepared.Input["data"]!["total"]!.GetValueKind());
        Assert.Equal(129.5, prepared.Input["data"]!["total"]!.GetValue<double>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"sku": "X1", "qty": 2}"""), prepared.Input["data"]!["first"]));
        var explanation = prepared.Answer["parameters"]![0]!["explanation"]!.GetValue<string>();
        Assert.Contains("{{request.metadata.order.items.1.sku}}", explanation);
    }

    [Theory]
    [InlineData("{{request.metadata.order.items.7.sku}}", "{{request.metadata.order.items.7.sku}}: request metadata 'order' has nothing at 'items.7.sku'")]
    [InlineData("{{request.metadata.order.items.first}}", "{{request.metadata.order.items.first}}: request metadata 'order' has nothing at 'items.first'")]
    [InlineData("{{request.metadata.customer.name}}", "{{request.metadata.customer.name}}: request metadata 'customer' has nothing at 'name'")]
    [InlineData("Order {{request.metadata.order.missing}}", "{{request.metadata.order.missing}}: request metadata 'order' has nothing at 'missing'")]
    [InlineData("{{request.metadata.nope.id}}", "{{request.metadata.nope.id}}: no request metadata object has the key 'nope'")]
    public async Task Path_ThatLeadsNowhere_FailsNamingTheReferenceAndThePath(string binding, string error)
    {
        var prepared = await PrepareAsync(new JsonObject { ["message"] = binding });

        Assert.Equal($"Preparing task 'Echo' failed: parameter 'message': {error}.", prepared.Error);
    }

    [Fact]
    public void Conditions_ReadTheSamePath()
    {
        var values = new RequestValues(Request.Instructions, Request.Name, Request.Metadata);

        Assert.Equal("Y2", TaskDecisions.ResolveBinding("{{request.metadata.order.items.1.sku}}", new Dictionary<int, TaskRun>(), values)!.GetValue<string>());
        Assert.Null(TaskDecisions.ResolveBinding("{{request.metadata.order.items.9}}", new Dictionary<int, TaskRun>(), values));
    }
}
