using System.Reflection;
using System.Text.RegularExpressions;
using Neena.Integrations.Credentials;
using Neena.Integrations.Triggers;

namespace Neena.Integrations;

/// <summary>
/// The integrations and tasks found by reflecting over <see cref="IntegrationAttribute"/> classes and their
/// <see cref="TaskAttribute"/> methods. Built once; a malformed integration fails the scan instead of failing a flow later.
/// </summary>
public sealed partial class IntegrationCatalogue
{
    private static readonly Lazy<IntegrationCatalogue> BuiltInCatalogue =
        new(() => FromAssemblies(typeof(IntegrationCatalogue).Assembly), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Dictionary<string, TaskDescriptor> _tasksByMethodName;

    private IntegrationCatalogue(IReadOnlyList<IntegrationDescriptor> integrations)
    {
        Integrations = integrations;
        _tasksByMethodName = new Dictionary<string, TaskDescriptor>(StringComparer.Ordinal);
        foreach (var task in integrations.SelectMany(i => i.Tasks))
        {
            if (!_tasksByMethodName.TryAdd(task.MethodName, task))
            {
                throw new InvalidOperationException(
                    $"Task method name '{task.MethodName}' is declared more than once; task methods cannot be overloaded.");
            }
        }
    }

    /// <summary>The integrations that ship with Neena (this assembly).</summary>
    public static IntegrationCatalogue BuiltIn => BuiltInCatalogue.Value;

    /// <summary>Integrations ordered by short name; each integration's tasks in declaration order.</summary>
    public IReadOnlyList<IntegrationDescriptor> Integrations { get; }

    /// <summary>Every task of every integration, in catalogue order.</summary>
    public IEnumerable<TaskDescriptor> Tasks => Integrations.SelectMany(i => i.Tasks);

    /// <exception cref="InvalidOperationException">An integration or task does not follow the required shape.</exception>
    public static IntegrationCatalogue FromAssemblies(params Assembly[] assemblies)
    {
        ArgumentNullException.ThrowIfNull(assemblies);
        return FromTypes(assemblies.Distinct().SelectMany(LoadableTypes));
    }

    /// <summary>Scans exactly the given types; lets tests build a catalogue without every integration in an assembly.</summary>
    internal static IntegrationCatalogue FromTypes(IEnumerable<Type> types)
    {
        var scanned = types.ToList();
        var described = scanned
            .Where(t => t.IsClass && t.IsDefined(typeof(IntegrationAttribute), inherit: false))
            .Select(DescribeIntegration)
            .ToList();
        var triggers = scanned
            .Where(t => t.IsClass && t.IsDefined(typeof(TriggerAttribute), inherit: false))
            .Select(DescribeTrigger)
            .ToList();
        var integrations = described
            .Select(i => i with
            {
                Triggers = triggers.Where(r => r.IntegrationType == i.IntegrationType).OrderBy(r => r.TriggerName, StringComparer.Ordinal).ToList(),
            })
            .OrderBy(i => i.ShortName, StringComparer.Ordinal)
            .ToList();

        var orphan = triggers.FirstOrDefault(r => !integrations.Any(i => i.IntegrationType == r.IntegrationType));
        if (orphan is not null)
        {
            throw new InvalidOperationException(
                $"Trigger '{orphan.TypeName}' names '{orphan.IntegrationType.FullName}' as its integration, which is not an [Integration] class of this catalogue.");
        }

        var duplicateTrigger = integrations
            .SelectMany(i => i.Triggers.GroupBy(r => r.TriggerName, StringComparer.OrdinalIgnoreCase))
            .FirstOrDefault(g => g.Count() > 1);
        if (duplicateTrigger is not null)
        {
            throw new InvalidOperationException(
                $"Trigger name '{duplicateTrigger.Key}' is declared more than once for one integration: {string.Join(", ", duplicateTrigger.Select(r => r.TypeName))}.");
        }

        var duplicate = integrations
            .GroupBy(i => i.ShortName, StringComparer.OrdinalIgnoreCase)
            .FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException(
                $"Integration short name '{duplicate.Key}' is used by more than one class: {string.Join(", ", duplicate.Select(i => i.ClassName))}.");
        }

        return new IntegrationCatalogue(integrations);
    }

    /// <summary>Finds a task by its <see cref="TaskDescriptor.MethodName"/> (<c>{class full name}.{method}</c>).</summary>
    public TaskDescriptor? FindTask(string methodName)
    {
        ArgumentNullException.ThrowIfNull(methodName);
        return _tasksByMethodName.GetValueOrDefault(methodName);
    }

    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            // A type that cannot load (missing optional dependency) cannot be an integration we could run anyway.
            return ex.Types.OfType<Type>();
        }
    }

    private static IntegrationDescriptor DescribeIntegration(Type type)
    {
        var attribute = type.GetCustomAttribute<IntegrationAttribute>(inherit: false)!;
        if (type.IsAbstract || type.IsGenericTypeDefinition)
        {
            throw new InvalidOperationException(
                $"Integration class '{type.FullName}' must be a concrete, non-generic class so tasks can instantiate it.");
        }

        if (string.IsNullOrWhiteSpace(attribute.ShortName) || string.IsNullOrWhiteSpace(attribute.Name))
        {
            throw new InvalidOperationException($"Integration class '{type.FullName}' needs a non-empty short name and name.");
        }

        var methods = type
            .GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m.IsDefined(typeof(TaskAttribute), inherit: false))
            .OrderBy(m => m.MetadataToken)
            .ToList();

        var tasks = methods.Select(m => DescribeTask(type, m)).ToList();
        var duplicateName = tasks
            .GroupBy(t => t.TaskName, StringComparer.OrdinalIgnoreCase)
            .FirstOrDefault(g => g.Count() > 1);
        if (duplicateName is not null)
        {
            throw new InvalidOperationException(
                $"Integration class '{type.FullName}' declares the task name '{duplicateName.Key}' more than once.");
        }

        var credentialFields = type.GetCustomAttributes<CredentialFieldAttribute>(inherit: false)
            .Select(f => new CredentialFieldDescriptor(f.Name, f.Description))
            .ToList();
        foreach (var field in credentialFields)
        {
            if (!SnakeCaseName().IsMatch(field.Name) || string.IsNullOrWhiteSpace(field.DocString))
            {
                throw new InvalidOperationException(
                    $"Integration class '{type.FullName}' declares credential field '{field.Name}': a field needs a snake_case name and a description.");
            }
        }

        if (credentialFields.GroupBy(f => f.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } repeated)
        {
            throw new InvalidOperationException($"Integration class '{type.FullName}' declares credential field '{repeated.Key}' more than once.");
        }

        if (credentialFields.Count > 0 && !typeof(ICredentialCheck).IsAssignableFrom(type))
        {
            throw new InvalidOperationException(
                $"Integration class '{type.FullName}' takes credentials, so it must implement {nameof(ICredentialCheck)} to let clients check one.");
        }

        return new IntegrationDescriptor(type.Name, attribute.Name, attribute.ShortName, attribute.AuthType, tasks)
        {
            CredentialFields = credentialFields,
            IntegrationType = type,
        };
    }

    private static TriggerDescriptor DescribeTrigger(Type type)
    {
        var attribute = type.GetCustomAttribute<TriggerAttribute>(inherit: false)!;
        var where = $"Trigger '{type.FullName}'";
        if (string.IsNullOrWhiteSpace(attribute.Name))
            throw new InvalidOperationException($"{where} needs a non-empty name.");
        if (!attribute.Integration.IsDefined(typeof(IntegrationAttribute), inherit: false))
            throw new InvalidOperationException($"{where} names '{attribute.Integration.FullName}', which is not an [Integration] class.");
        if (!TypeSchema.IsComplexObject(type))
            throw new InvalidOperationException($"{where} must be a class or record whose properties are its event fields.");

        var fields = new List<EventFieldDescriptor>();
        foreach (var field in TypeSchema.DescribeFields(type))
        {
            var path = field.Property.GetCustomAttribute<EventFieldAttribute>(inherit: false)?.JsonPath
                ?? throw new InvalidOperationException($"{where}: property '{field.Property.Name}' needs an [EventField(\"$.path\")] saying where its value is.");
            try
            {
                JsonPath.Parse(path);
            }
            catch (FormatException ex)
            {
                throw new InvalidOperationException($"{where}: property '{field.Property.Name}' has an invalid path: {ex.Message}", ex);
            }

            var d = field.Descriptor;
            fields.Add(new EventFieldDescriptor(d.Name, path, d.DataType, d.DocString, d.Optional));
        }

        if (fields.Count == 0)
            throw new InvalidOperationException($"{where} declares no event fields.");
        if (attribute.EntityField is { } entity && !fields.Any(f => f.Name == entity))
            throw new InvalidOperationException($"{where} names '{entity}' as its entity field, which is not one of its event fields.");

        return new TriggerDescriptor(attribute.Name, attribute.Description, type.FullName!, attribute.Event, attribute.EntityField, fields)
        {
            EventClrType = type,
            IntegrationType = attribute.Integration,
        };
    }

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex SnakeCaseName();

    private static TaskDescriptor DescribeTask(Type integrationType, MethodInfo method)
    {
        var attribute = method.GetCustomAttribute<TaskAttribute>(inherit: false)!;
        var where = $"Task method '{integrationType.FullName}.{method.Name}'";
        const string expected = "expected 'public Task<TOutput> Name(TInput input, TaskContext context)' with TInput a class or record";

        if (method.IsStatic || !method.IsPublic)
        {
            throw new InvalidOperationException($"{where} must be a public instance method; {expected}.");
        }

        if (method.IsGenericMethodDefinition)
        {
            throw new InvalidOperationException($"{where} must not be generic; {expected}.");
        }

        if (string.IsNullOrWhiteSpace(attribute.Name))
        {
            throw new InvalidOperationException($"{where} needs a non-empty task name.");
        }

        var returnType = method.ReturnType;
        if (!returnType.IsGenericType || returnType.GetGenericTypeDefinition() != typeof(Task<>))
        {
            throw new InvalidOperationException($"{where} returns '{returnType.Name}'; {expected}.");
        }

        var parameters = method.GetParameters();
        if (parameters.Length != 2 || parameters[1].ParameterType != typeof(TaskContext))
        {
            throw new InvalidOperationException($"{where} has the wrong parameters; {expected}.");
        }

        var inputType = parameters[0].ParameterType;
        if (!inputType.IsClass || inputType.IsAbstract || inputType == typeof(string) || inputType.IsArray
            || inputType.IsByRef || !TypeSchema.IsComplexObject(inputType))
        {
            throw new InvalidOperationException(
                $"{where} takes '{inputType.Name}' as input, which is not a concrete class or record; {expected}.");
        }

        if (TypeSchema.BindingConstructor(inputType) is null)
        {
            throw new InvalidOperationException(
                $"{where} takes '{inputType.Name}' as input, which has no usable constructor: give it a public parameterless constructor, a single public constructor or one marked [JsonConstructor].");
        }

        var outputType = returnType.GetGenericArguments()[0];
        var elementType = TypeSchema.ListElementType(outputType);
        var outputItemType = elementType ?? outputType;

        return new TaskDescriptor(
            TaskName: attribute.Name,
            Description: attribute.Description,
            MethodName: $"{integrationType.FullName}.{method.Name}",
            InputType: inputType.Name,
            OutputType: outputItemType.Name,
            OutputIsList: elementType is not null,
            Parameters: TypeSchema.DescribeFields(inputType).Select(f => f.Descriptor).ToList(),
            OutputParameters: TypeSchema.DescribeFields(outputItemType).Select(f => f.Descriptor).ToList(),
            InputYml: ExampleYaml.For(inputType, asList: false),
            OutputYml: ExampleYaml.For(outputItemType, asList: elementType is not null))
        {
            Method = method,
            IntegrationType = integrationType,
            InputClrType = inputType,
            SecondsWithinTimeLimit = TypeSchema.DescribeFields(inputType)
                .Where(f => f.Property.IsDefined(typeof(WithinTaskTimeLimitAttribute), inherit: false))
                .Select(f => f.Descriptor.Name)
                .ToList(),
        };
    }
}
