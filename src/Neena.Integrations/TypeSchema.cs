using System.Collections.Concurrent;
using System.ComponentModel;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization.Metadata;

namespace Neena.Integrations;

/// <summary>
/// Derives the catalogue's view of a task's input or output type (field names, data types, optionality) from the
/// contract <see cref="TaskInvoker.IntegrationJson"/> builds for the same type, so the catalogue and the invoker read
/// one definition and the catalogue never promises something the invoker would reject.
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

    private static readonly ConcurrentDictionary<Type, string> DataTypes = new();

    /// <summary>One serialised property of a type together with its catalogue description.</summary>
    /// <param name="Nullable">Whether the property's type admits null (nullable reference or <see cref="Nullable{T}"/>).</param>
    internal sealed record Field(PropertyInfo Property, ParameterDescriptor Descriptor, bool Nullable);

    private static JsonTypeInfo Contract(Type type) => TaskInvoker.IntegrationJson.GetTypeInfo(Nullable.GetUnderlyingType(type) ?? type);

    internal static IReadOnlyList<Field> DescribeFields(Type type)
    {
        if (!IsComplexObject(type))
        {
            return [];
        }

        var contract = Contract(type);
        var constructor = BindingConstructor(type);
        var defaults = constructor is { } ctor && ctor.GetParameters().Length == 0 ? CreateDefaultInstance(ctor) : null;
        var fields = new List<Field>(contract.Properties.Count);
        // The contract lists what the invoker reads and writes, in its order, under its JSON names; [JsonIgnore]d
        // members are already absent. Extension data has no name of its own, and a member without a getter never
        // appears in output, so neither is a field.
        foreach (var property in contract.Properties.Where(p => !p.IsExtensionData && p.Get is not null).OrderBy(DeclarationOrder))
        {
            var clrProperty = (PropertyInfo)property.AttributeProvider!;
            var description = clrProperty.GetCustomAttribute<DescriptionAttribute>()?.Description;
            fields.Add(new Field(
                clrProperty,
                new ParameterDescriptor(property.Name, DataTypeOf(property.PropertyType), fields.Count + 1, description, IsOptional(property, defaults)),
                property.IsGetNullable));
        }

        return fields;
    }

    /// <summary>
    /// Base class members first, an override in the position of the member it overrides, each class in declaration
    /// order. Stays hand-written: the contract lists the most derived class's members first, and the catalogue has
    /// always listed them the other way round.
    /// </summary>
    private static (int Depth, int Token) DeclarationOrder(JsonPropertyInfo property)
    {
        var getter = ((PropertyInfo)property.AttributeProvider!).GetMethod!.GetBaseDefinition();
        var depth = 0;
        for (var level = getter.DeclaringType!.BaseType; level is not null; level = level.BaseType)
        {
            depth++;
        }

        return (depth, getter.MetadataToken);
    }

    /// <summary>
    /// A field is optional when leaving it out of the input still deserialises to a usable value:
    /// <list type="bullet">
    /// <item>a C# <c>required</c> or <c>[JsonRequired]</c> member is never optional (the contract marks it required);</item>
    /// <item>a constructor-bound property (positional records) is optional only when the parameter has a default value,
    /// because the invoker sets <see cref="JsonSerializerOptions.RespectRequiredConstructorParameters"/>;</item>
    /// <item>otherwise a property is optional when its type is nullable (reference or <see cref="Nullable{T}"/>), or when a
    /// default-constructed instance already holds a non-null value for it (an initialiser such as <c>= "GET"</c>, or any
    /// non-nullable value type).</item>
    /// </list>
    /// The last rule stays hand-written: the contract knows a property may be left out but not whether the value it is
    /// then left with is usable, which only a default instance can tell.
    /// </summary>
    private static bool IsOptional(JsonPropertyInfo property, object? defaults)
    {
        if (property.IsRequired)
        {
            return false;
        }

        if (property.AssociatedParameter is { IsMemberInitializer: false } parameter)
        {
            return parameter.HasDefaultValue;
        }

        if (property.IsGetNullable)
        {
            return true;
        }

        return defaults is not null && property.Get!(defaults) is not null;
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

    /// <summary>The constructor the invoker's contract deserialises with, or null when it has none it could use.</summary>
    internal static ConstructorInfo? BindingConstructor(Type type) => Contract(type).ConstructorAttributeProvider as ConstructorInfo;

    /// <summary>
    /// The catalogue's data type for what the invoker reads and writes for <paramref name="type"/>: the "type" (and
    /// "format") of its JSON schema, with "uuid" and "date-time"/"date" formats as types of their own.
    /// </summary>
    internal static string DataTypeOf(Type type) => DataTypes.GetOrAdd(type, static t =>
        FromSchema(JsonSchemaExporter.GetJsonSchemaAsNode(TaskInvoker.IntegrationJson, t)));

    private static string FromSchema(JsonNode schema)
    {
        if (schema is not JsonObject node)
        {
            // The "true" schema: anything goes (object, JsonNode, JsonElement).
            return Object;
        }

        var types = node["type"] switch
        {
            JsonArray many => many.Select(t => t!.GetValue<string>()).Where(t => t != "null").ToList(),
            JsonValue one => [one.GetValue<string>()],
            _ => [],
        };
        if (types.Count == 0)
        {
            // Enums written as strings are schemas of their values alone.
            return node.ContainsKey("enum") ? String : Object;
        }

        return types[0] switch
        {
            "integer" => Integer,
            "number" => Number,
            "boolean" => Boolean,
            "array" => Array,
            "string" => node["format"]?.GetValue<string>() switch
            {
                "uuid" => Uuid,
                "date-time" or "date" => DateTime,
                _ => String,
            },
            _ => Object,
        };
    }

    /// <summary>The element type when the invoker's contract reads and writes <paramref name="type"/> as a JSON array.</summary>
    internal static Type? ListElementType(Type type) =>
        Contract(type) is { Kind: JsonTypeInfoKind.Enumerable } contract ? contract.ElementType : null;

    /// <summary>True for types described field by field: plain classes, records and structs, not scalars, collections or JSON DOM.</summary>
    internal static bool IsComplexObject(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        // Interfaces and abstract classes have a contract with properties, but the invoker could not create one.
        return !type.IsInterface && !type.IsAbstract && Contract(type).Kind == JsonTypeInfoKind.Object;
    }
}
