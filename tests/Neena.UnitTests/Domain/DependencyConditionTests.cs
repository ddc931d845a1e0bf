using System.Text.Json.Nodes;
using Neena.Domain.FlowRuns;
using Neena.Domain.Flows;

namespace Neena.UnitTests.Domain;

/// <summary>The operators of dependency conditions (issue 20) over JSON values, and the OR of ANDs around them.</summary>
public sealed class DependencyConditionTests
{
    private static JsonNode? J(string json) => JsonNode.Parse(json);

    [Theory]
    // eq / ne: numbers as numbers, strings ordinally, null only equals null (a missing value is null), structures deeply.
    [InlineData("eq", "1", "1.0", true)]
    [InlineData("eq", "\"a\"", "\"A\"", false)]
    [InlineData("eq", "\"1\"", "1", false)]
    [InlineData("eq", "null", "null", true)]
    [InlineData("eq", "true", "true", true)]
    [InlineData("eq", "[1, {\"a\": 2}]", "[1.0, {\"a\": 2e0}]", true)]
    [InlineData("eq", "{\"a\": 1, \"b\": 2}", "{\"b\": 2, \"a\": 1}", true)]
    [InlineData("ne", "1", "2", true)]
    [InlineData("ne", "\"x\"", "\"x\"", false)]
    [InlineData("ne", "null", "0", true)]
    // Order: numbers as numbers (10 > 9, though "10" < "9" as text), strings ordinally, anything else never.
    [InlineData("gt", "10", "9", true)]
    [InlineData("gt", "\"10\"", "\"9\"", false)]
    [InlineData("gt", "\"b\"", "\"a\"", true)]
    [InlineData("gt", "\"a\"", "\"B\"", true)]
    [InlineData("gt", "1", "\"0\"", false)]
    [InlineData("gt", "null", "0", false)]
    [InlineData("gte", "2", "2.0", true)]
    [InlineData("gte", "1e300", "1", true)]
    [InlineData("gte", "1", "2", false)]
    [InlineData("lt", "-1", "0", true)]
    [InlineData("lt", "0.1", "0.2", true)]
    [InlineData("lt", "\"abc\"", "\"abd\"", true)]
    [InlineData("lt", "[1]", "[2]", false)]
    [InlineData("lte", "3", "3", true)]
    [InlineData("lte", "4", "3", false)]
    // contains: a substring (ordinal, case-sensitive), or an equal array item.
    [InlineData("contains", "\"so urgent!\"", "\"urgent\"", true)]
    [InlineData("contains", "\"URGENT\"", "\"urgent\"", false)]
    [InlineData("contains", "[1, \"a\", {\"k\": 1}]", "{\"k\": 1.0}", true)]
    [InlineData("contains", "[1, 2]", "3", false)]
    [InlineData("contains", "12", "1", false)]
    [InlineData("contains", "null", "\"a\"", false)]
    [InlineData("not_contains", "\"calm\"", "\"urgent\"", true)]
    [InlineData("not_contains", "[\"a\"]", "\"a\"", false)]
    [InlineData("starts_with", "\"urgent: x\"", "\"urgent\"", true)]
    [InlineData("starts_with", "\"x urgent\"", "\"urgent\"", false)]
    [InlineData("starts_with", "1", "1", false)]
    [InlineData("ends_with", "\"done.\"", "\".\"", true)]
    [InlineData("ends_with", "\"done\"", "\".\"", false)]
    // Unary: right is ignored.
    [InlineData("exists", "0", "\"ignored\"", true)]
    [InlineData("exists", "\"\"", null, true)]
    [InlineData("exists", "null", null, false)]
    [InlineData("not_exists", "null", "1", true)]
    [InlineData("not_exists", "false", null, false)]
    [InlineData("is_empty", "\"\"", null, true)]
    [InlineData("is_empty", "[]", null, true)]
    [InlineData("is_empty", "{}", null, true)]
    [InlineData("is_empty", "null", null, true)]
    [InlineData("is_empty", "0", null, false)]
    [InlineData("is_empty", "\" \"", null, false)]
    [InlineData("is_not_empty", "[0]", null, true)]
    [InlineData("is_not_empty", "\"\"", null, false)]
    public void Evaluate_Op_ComparesJsonValues(string op, string left, string? right, bool expected) =>
        Assert.Equal(expected, ConditionOps.Evaluate(op, J(left), right is null ? null : J(right)));

    [Fact]
    public void Evaluate_MissingValues_AreNull()
    {
        Assert.True(ConditionOps.Evaluate(ConditionOps.NotExists, null, null));
        Assert.True(ConditionOps.Evaluate(ConditionOps.Eq, null, J("null")));
        Assert.True(ConditionOps.Evaluate(ConditionOps.IsEmpty, null, null));
    }

    [Fact]
    public void Evaluate_ValuesBuiltInCode_CompareLikeParsedOnes()
    {
        Assert.True(ConditionOps.Evaluate(ConditionOps.Eq, JsonValue.Create(2), J("2.0")));
        Assert.True(ConditionOps.Evaluate(ConditionOps.Gt, JsonValue.Create(2.5), JsonValue.Create(2L)));
    }

    [Fact]
    public void EveryOp_IsEvaluated() =>
        Assert.All(ConditionOps.All, op => ConditionOps.Evaluate(op, J("1"), J("1")));

    [Fact]
    public void Condition_IsAnOrOfAnds()
    {
        var condition = DependencyCondition.Parse(J("""
            {"any": [{"all": [{"left": "a", "op": "eq", "right": "a"}, {"left": 1, "op": "gt", "right": 2}]},
                     {"all": [{"left": "{{x}}", "op": "exists"}]}]}
            """)!.AsObject(), "condition", [])!;

        Assert.True(condition.Evaluate(v => v));
        Assert.False(condition.Evaluate(v => v is JsonValue s && s.TryGetValue<string>(out var text) && text == "{{x}}" ? null : v));
    }

    [Fact]
    public void Parse_UnknownOp_IsAProblemAtItsLocation()
    {
        var problems = new List<FlowProblem>();

        var parsed = DependencyCondition.Parse(J("""{"any": [{"all": [{"left": 1, "op": "like", "right": 1}]}]}""")!.AsObject(), "c", problems);

        Assert.Null(parsed);
        Assert.Equal("c.any.0.all.0.op", Assert.Single(problems).Location);
    }

    [Fact]
    public void TaskRunStatuses_SkippedIsFinished_WaitingIsNeitherFinishedNorStartable()
    {
        Assert.True(TaskRunConditions.Finished.Matches(TaskRunStatus.Skipped, retryScheduled: false));
        Assert.False(TaskRunConditions.Finished.Matches(TaskRunStatus.Waiting, retryScheduled: false));
        Assert.False(TaskRunStateMachine.Start.Allows(TaskRunStatus.Waiting));
        Assert.DoesNotContain(TaskRunStatus.Skipped, RunStatus.All);
        Assert.Contains(TaskRunStatus.Waiting, TaskRunStatus.All);
    }
}
