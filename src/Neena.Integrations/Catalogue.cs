using System.Reflection;
using Neena.Integrations.Credentials;
using Neena.Integrations.Triggers;

namespace Neena.Integrations;

public enum IntegrationAuthType
{
    None,
    ApiKey,
    OAuth2,
}

/// <summary>Marks a class as an integration (the original's Python class decorator).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class IntegrationAttribute(string shortName, string name) : Attribute
{
    public string ShortName { get; } = shortName;
    public string Name { get; } = name;
    public IntegrationAuthType AuthType { get; init; } = IntegrationAuthType.None;
}

/// <summary>Marks a method of an integration as a task. Signature: <c>Task&lt;TOutput&gt; M(TInput input, TaskContext context)</c>.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class TaskAttribute(string name) : Attribute
{
    public string Name { get; } = name;
    public string Description { get; init; } = "";
}

/// <summary>
/// Marks a numeric input property as a number of seconds the task spends within one attempt (a wait, a timeout). It
/// cannot exceed the engine's time limit per attempt: a flow that binds a larger literal is refused when it is saved,
/// and a larger value bound at run time fails the task with a clear message instead of a timeout.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class WithinTaskTimeLimitAttribute : Attribute
{
}

/// <summary>One input or output field of a task, as the catalogue stores it.</summary>
public sealed record ParameterDescriptor(string Name, string DataType, int Position, string? DocString, bool Optional);

public sealed record TaskDescriptor(
    string TaskName,
    string Description,
    string MethodName,
    string InputType,
    string OutputType,
    bool OutputIsList,
    IReadOnlyList<ParameterDescriptor> Parameters,
    IReadOnlyList<ParameterDescriptor> OutputParameters,
    string InputYml,
    string OutputYml)
{
    public required MethodInfo Method { get; init; }
    public required Type IntegrationType { get; init; }
    public required Type InputClrType { get; init; }

    /// <summary>Input parameters marked <see cref="WithinTaskTimeLimitAttribute"/>: seconds that must fit in one attempt.</summary>
    public IReadOnlyList<string> SecondsWithinTimeLimit { get; init; } = [];

    /// <summary>The <c>TOutput</c> of the method's <c>Task&lt;TOutput&gt;</c> (the list type itself for list outputs).</summary>
    public Type OutputClrType => Method.ReturnType.GetGenericArguments()[0];
}

public sealed record IntegrationDescriptor(string ClassName, string Name, string ShortName, IntegrationAuthType AuthType, IReadOnlyList<TaskDescriptor> Tasks)
{
    /// <summary>The fields a stored credential for this integration holds (<see cref="CredentialFieldAttribute"/>); empty when it takes none.</summary>
    public IReadOnlyList<CredentialFieldDescriptor> CredentialFields { get; init; } = [];

    /// <summary>The webhook triggers declared for this integration (<see cref="TriggerAttribute"/>), ordered by name.</summary>
    public IReadOnlyList<TriggerDescriptor> Triggers { get; init; } = [];

    /// <summary>The integration class (for checks and task instances).</summary>
    public Type? IntegrationType { get; init; }
}
