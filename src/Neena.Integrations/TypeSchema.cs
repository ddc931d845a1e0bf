using System.Collections;
using System.ComponentModel;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using YamlDotNet.RepresentationModel;

namespace Neena.Integrations;

/// <summary>
/// Derives the catalogue's view of a task's input or output type (field names, data types, optionality, example YAML).
/// The rules mirror what <see cref="TaskInvoker.IntegrationJson"/> does with the same type, so the catalogue never
/// promises something the invoker would reject.
/// </summary>
internal static class TypeSchema
{
    internal const string String = "string";
    internal const string Integer = "integer";
    internal const string Number = "number";
    internal const string Boolean = "boolean";
    internal const string Array = "array";
    internal const string Object = "object";
    internal const string DateTime = "datetime";
    internal const string Uuid = "uuid";

    private const string ExampleDateTime = "2024-01-01T00:00:00Z";

    /// <summary>One serialised property of a type together with its catalogue description.</summary>
    /// <param name="Nullable">Whether the property's type admits null (nullable reference or <see cref="Nullable{T}"/>).</param>
    internal sealed record Field(PropertyInfo Property, ParameterDescriptor Descriptor, bool Nullable);

    internal static IReadOnlyList<Field> DescribeFields(Type type)
    {
        if (!IsComplexObject(type))
        {
            return [];
        }

        var properties = SerializedProperties(type);
        var constructor = BindingConstructor(type);
        var constructorParameters = constructor?.GetParameters() ?? [];
        var defaults = constructor is { } ctor && constructorParameters.Length == 0 ? CreateDefaultInstance(ctor) : null;
        var nullability = new NullabilityInfoContext();
        var fields = new List<Field>(properties.Count);
        foreach (var property in properties)
        {
            var name = JsonName(property);
            var optional = IsOptional(property, constructorParameters, defaults, nullability);
            var description = property.GetCustomAttribute<DescriptionAttribute>()?.Description;
            fields.Add(new Field(
                property,
                new ParameterDescriptor(name, DataTypeOf(property.PropertyType), fields.Count + 1, description, optional),
                nullability.Create(property).ReadState == NullabilityState.Nullable));
        }

        return fields;
    }

    /// <summary>
    /// A field is optional when leaving it out of the input still deserialises to a usable value:
    /// <list type="bullet">
    /// <item>a C# <c>required</c> member is never optional (System.Text.Json rejects input without it);</item>
    /// <item>a constructor-bound property (positional records) is optional only when the parameter has a default value,
    /// because the invoker sets <see cref="JsonSerializerOptions.RespectRequiredConstructorParameters"/>;</item>
    /// <item>otherwise a property is optional when its type is nullable (reference or <see cref="Nullable{T}"/>), or when a
    /// default-constructed instance already holds a non-null value for it (an initialiser such as <c>= "GET"</c>, or any
    /// non-nullable value type).</item>
    /// </list>
    /// </summary>
    private static bool IsOptional(
        PropertyInfo property,
        ParameterInfo[] constructorParameters,
        object? defaults,
        NullabilityInfoContext nullability)
    {
        if (property.IsDefined(typeof(RequiredMemberAttribute)) || property.IsDefined(typeof(JsonRequiredAttribute)))
        {
            return false;
        }

        var parameter = constructorParameters.FirstOrDefault(p =>
            string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase));
        if (parameter is not null)
        {
            return parameter.HasDefaultValue;
        }

        if (nullability.Create(property).ReadState == NullabilityState.Nullable)
        {
            return true;
        }

        return defaults is not null && property.GetValue(defaults) is not null;
    }

    private static object? CreateDefaultInstance(ConstructorInfo constructor)
    {
        try
        {
            return constructor.Invoke(null);
        }
        catch (TargetInvocationException ex)
        {
            throw new InvalidOperationException(
                $"Cannot create a default instance of '{constructor.DeclaringType}' to read its default values: {ex.InnerException?.Message}",
                ex.InnerException);
        }
    }

    /// <summary>The constructor System.Text.Json will use, chosen by the same precedence it applies.</summary>
    internal static ConstructorInfo? BindingConstructor(Type type)
    {
        var constructors = type.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance);
        var annotated = constructors.Where(c => c.IsDefined(typeof(JsonConstructorAttribute))).ToList();
        if (annotated.Count == 1)
        {
            return annotated[0];
        }

        var publicConstructors = constructors.Where(c => c.IsPublic).ToList();
        var parameterless = publicConstructors.FirstOrDefault(c => c.GetParameters().Length == 0);
        if (parameterless is not null)
        {
            return parameterless;
        }

        // Records get a protected copy constructor, which is not public and so is already excluded here.
        return publicConstructors.Count == 1 ? publicConstructors[0] : null;
    }

    /// <summary>Public instance properties in declaration order, base class first, as System.Text.Json serialises them.</summary>
    internal static IReadOnlyList<PropertyInfo> SerializedProperties(Type type)
    {
        var hierarchy = new Stack<Type>();
        for (var current = type; current is not null && current != typeof(object); current = current.BaseType)
        {
            hierarchy.Push(current);
        }

        var result = new List<PropertyInfo>();
        foreach (var level in hierarchy)
        {
            result.AddRange(level
                .GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Where(p => p.GetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0)
                .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is not { Condition: JsonIgnoreCondition.Always })
                .Where(p => !p.IsDefined(typeof(JsonExtensionDataAttribute)))
                .OrderBy(p => p.MetadataToken));
        }

        // An overriding or hiding property appears on both levels; keep the most derived one in the base's position.
        return result
            .GroupBy(p => p.Name, StringComparer.Ordinal)
            .Select(g => g.Last())
            .OrderBy(p => result.FindIndex(q => q.Name == p.Name))
            .ToList();
    }

    internal static string JsonName(PropertyInfo property) =>
        property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name
        ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);

    internal static string DataTypeOf(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        // byte[] is listed here because System.Text.Json writes it as a base64 string, not an array.
        if (type == typeof(string) || type == typeof(char) || type == typeof(Uri) || type == typeof(TimeSpan)
            || type == typeof(byte[]) || type.IsEnum)
        {
            return String;
        }

        if (type == typeof(bool))
        {
            return Boolean;
        }

        if (type == typeof(byte) || type == typeof(sbyte) || type == typeof(short) || type == typeof(ushort)
            || type == typeof(int) || type == typeof(uint) || type == typeof(long) || type == typeof(ulong)
            || type == typeof(Int128) || type == typeof(UInt128))
        {
            return Integer;
        }

        if (type == typeof(float) || type == typeof(double) || type == typeof(decimal) || type == typeof(Half))
        {
            return Number;
        }

        if (type == typeof(Guid))
        {
            return Uuid;
        }

        if (type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(DateOnly))
        {
            return DateTime;
        }

        if (type == typeof(JsonArray) || ListElementType(type) is not null)
        {
            return Array;
        }

        return Object;
    }

    /// <summary>
    /// The element type when <paramref name="type"/> is serialised as a JSON array: arrays and <see cref="IEnumerable{T}"/>
    /// implementations other than strings, dictionaries and JSON DOM types (which serialise as their own shape).
    /// </summary>
    internal static Type? ListElementType(Type type)
    {
        if (type == typeof(string) || type == typeof(byte[]) || IsDictionary(type) || typeof(JsonNode).IsAssignableFrom(type) || type == typeof(JsonElement))
        {
            return null;
        }

        if (type.IsArray)
        {
            return type.GetElementType();
        }

        var enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable?.GetGenericArguments()[0];
    }

    private static bool IsDictionary(Type type) =>
        typeof(IDictionary).IsAssignableFrom(type)
        || IsOrImplementsGeneric(type, typeof(IDictionary<,>))
        || IsOrImplementsGeneric(type, typeof(IReadOnlyDictionary<,>));

    private static bool IsOrImplementsGeneric(Type type, Type definition) =>
        (type.IsGenericType && type.GetGenericTypeDefinition() == definition)
        || type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition);

    /// <summary>True for types described field by field: plain classes, records and structs, not scalars, collections or JSON DOM.</summary>
    internal static bool IsComplexObject(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return DataTypeOf(type) == Object
            && !IsDictionary(type)
            && !typeof(JsonNode).IsAssignableFrom(type)
            && type != typeof(JsonElement)
            && type != typeof(JsonDocument)
            && type != typeof(object)
            && !type.IsPrimitive
            && !type.IsInterface
            && !type.IsAbstract;
    }

    /// <summary>An example YAML document for the type (a one-item sequence when <paramref name="asList"/>).</summary>
    internal static string ExampleYaml(Type type, bool asList)
    {
        YamlNode example = ExampleNode(type);
        if (asList)
        {
            example = new YamlSequenceNode(example);
        }

        var stream = new YamlStream(new YamlDocument(example));
        using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        stream.Save(writer, assignAnchors: false);
        var yaml = writer.ToString();

        // YamlStream terminates every document with an explicit "..." marker, which is noise in a catalogue example.
        const string documentEnd = "...";
        var trimmed = yaml.TrimEnd();
        if (trimmed.EndsWith(documentEnd, StringComparison.Ordinal))
        {
            trimmed = trimmed[..^documentEnd.Length].TrimEnd();
        }

        return trimmed + "\n";
    }

    private static YamlNode ExampleNode(Type type)
    {
        if (!IsComplexObject(type))
        {
            return ExampleValue(type);
        }

        var mapping = new YamlMappingNode();
        foreach (var field in DescribeFields(type))
        {
            mapping.Add(new YamlScalarNode(field.Descriptor.Name), ExampleValue(field.Property.PropertyType));
        }

        if (mapping.Children.Count == 0)
        {
            mapping.Style = YamlDotNet.Core.Events.MappingStyle.Flow;
        }

        return mapping;
    }

    private static YamlNode ExampleValue(Type type) => DataTypeOf(type) switch
    {
        String => new YamlScalarNode("example"),
        Integer => new YamlScalarNode("0"),
        Number => new YamlScalarNode("0.0"),
        Boolean => new YamlScalarNode("false"),
        Uuid => new YamlScalarNode(Guid.Empty.ToString()),
        DateTime => new YamlScalarNode(ExampleDateTime) { Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted },
        Array => new YamlSequenceNode { Style = YamlDotNet.Core.Events.SequenceStyle.Flow },
        _ => new YamlMappingNode { Style = YamlDotNet.Core.Events.MappingStyle.Flow },
    };
}
