using Neena.Integrations;

namespace Neena.UnitTests.Integrations;

/// <summary>
/// Retrieval and the planner choose tasks by what the catalogue says about them, so every built-in task must say what it
/// does and when to use it, and every input and output must say what it holds (and an id where it comes from).
/// </summary>
public sealed class CatalogueDescriptionTests
{
    /// <summary>Every task of every built-in integration: nothing is exempt from the rules below.</summary>
    public static TheoryData<string> BuiltInTasks() => [.. IntegrationCatalogue.BuiltIn.Tasks.Select(t => t.MethodName)];

    /// <summary>Inputs that name a platform entity made or found by another task: a model must know which task gives it.</summary>
    private static bool IsReference(ParameterDescriptor p) =>
        p.Name.EndsWith("_id", StringComparison.Ordinal) || p.Name.EndsWith("_ts", StringComparison.Ordinal) || p.Name is "channel" or "timestamp";

    private static IntegrationDescriptor IntegrationOf(string methodName) =>
        IntegrationCatalogue.BuiltIn.Integrations.Single(i => i.Tasks.Any(t => t.MethodName == methodName));

    [Fact]
    public void BuiltInTasks_CoverEveryBuiltInIntegration()
    {
        var rows = BuiltInTasks().Cast<object[]>().Select(row => (string)row[0]).ToList();
        var covered = rows.Select(m => IntegrationOf(m).ShortName).Distinct().Order();

        Assert.Equal(["core", "http", "slack", "trello"], covered);
        Assert.Equal(IntegrationCatalogue.BuiltIn.Tasks.Count(), rows.Count);
    }

    [Theory]
    [MemberData(nameof(BuiltInTasks))]
    public void BuiltInTask_Description_SaysWhatItDoesAndWhenToUseIt(string methodName)
    {
        var task = IntegrationCatalogue.BuiltIn.FindTask(methodName)!;

        Assert.True(task.Description.Length >= 100, $"{task.TaskName}: '{task.Description}' is too terse to plan with");
        Assert.True(task.Description.Contains("Use it", StringComparison.Ordinal) || task.Description.Contains("Only for", StringComparison.Ordinal),
            $"{task.TaskName}: the description should say when to use the task");
    }

    [Theory]
    [MemberData(nameof(BuiltInTasks))]
    public void BuiltInTask_EveryInputAndOutput_HasADocString(string methodName)
    {
        var task = IntegrationCatalogue.BuiltIn.FindTask(methodName)!;

        Assert.All(task.Parameters.Concat(task.OutputParameters), p =>
        {
            Assert.False(string.IsNullOrWhiteSpace(p.DocString), $"{task.TaskName}.{p.Name}");
            Assert.True(p.DocString!.Length >= 15 && p.DocString.EndsWith('.'), $"{task.TaskName}.{p.Name}: '{p.DocString}' should be a sentence saying what the value is");
        });
    }

    [Theory]
    [MemberData(nameof(BuiltInTasks))]
    public void BuiltInTask_EveryReferenceInput_SaysWhichTaskGivesIt(string methodName)
    {
        var task = IntegrationCatalogue.BuiltIn.FindTask(methodName)!;
        var others = IntegrationOf(methodName).Tasks.Where(t => t.MethodName != methodName).Select(t => t.TaskName).ToList();

        Assert.All(task.Parameters.Where(IsReference), p => Assert.True(
            others.Any(name => p.DocString!.Contains(name, StringComparison.Ordinal)),
            $"{task.TaskName}.{p.Name}: '{p.DocString}' should name the task that returns such a value (e.g. 'as returned by Create List')"));
    }
}
