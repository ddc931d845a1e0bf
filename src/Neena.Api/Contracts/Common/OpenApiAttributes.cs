namespace Neena.Api.Contracts.Common;

/// <summary>
/// A request body's schema in the OpenAPI document, under a short name. Only fields marked
/// <see cref="ApiFieldAttribute.Required"/> are required: the others may be left out.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class InputSchemaAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>
/// An answer's schema in the OpenAPI document, under a short name. Every field is required, because answers always
/// carry every field (null ones as <c>null</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class OutputSchemaAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>What the OpenAPI document says about one field, beyond what its .NET type tells.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ApiFieldAttribute : Attribute
{
    /// <summary>The validators refuse a body without this field (or with <c>null</c> in it).</summary>
    public bool Required { get; set; }

    /// <summary>The field may be left out, but <c>null</c> is refused.</summary>
    public bool NotNull { get; set; }

    /// <summary>The JSON shape of a field typed as a JSON node.</summary>
    public JsonShape Shape { get; set; }

    /// <summary>
    /// A class whose public string constants are the only values the field takes (an enum in the document); its
    /// static <c>All</c> list of strings, if it has one, instead.
    /// </summary>
    public Type? ValuesOf { get; set; }

    /// <summary>The only values the field takes, when no class of constants lists them.</summary>
    public string[]? Values { get; set; }

    /// <summary>
    /// The name of the enum's own schema, which every field taking the same values shares (client generators make one
    /// enum type of it). Defaults to the name of <see cref="ValuesOf"/>; without either, the values stay inline.
    /// </summary>
    public string? EnumName { get; set; }
}

public enum JsonShape
{
    /// <summary>As the .NET type says.</summary>
    Default,

    /// <summary>A JSON array whose items are JSON objects.</summary>
    ArrayOfObjects,
}
