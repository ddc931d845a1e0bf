using YamlDotNet.RepresentationModel;

namespace Neena.Integrations;

/// <summary>The catalogue's example YAML document for a task's input or output type, one placeholder value per field.</summary>
internal static class ExampleYaml
{
    private const string ExampleDateTime = "2024-01-01T00:00:00Z";

    /// <summary>An example YAML document for the type (a one-item sequence when <paramref name="asList"/>).</summary>
    internal static string For(Type type, bool asList)
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
        if (!TypeSchema.IsComplexObject(type))
        {
            return ExampleValue(type);
        }

        var mapping = new YamlMappingNode();
        foreach (var field in TypeSchema.DescribeFields(type))
        {
            mapping.Add(new YamlScalarNode(field.Descriptor.Name), ExampleValue(field.Property.PropertyType));
        }

        if (mapping.Children.Count == 0)
        {
            mapping.Style = YamlDotNet.Core.Events.MappingStyle.Flow;
        }

        return mapping;
    }

    private static YamlNode ExampleValue(Type type) => TypeSchema.DataTypeOf(type) switch
    {
        TypeSchema.String => new YamlScalarNode("example"),
        TypeSchema.Integer => new YamlScalarNode("0"),
        TypeSchema.Number => new YamlScalarNode("0.0"),
        TypeSchema.Boolean => new YamlScalarNode("false"),
        TypeSchema.Uuid => new YamlScalarNode(Guid.Empty.ToString()),
        TypeSchema.DateTime => new YamlScalarNode(ExampleDateTime) { Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted },
        TypeSchema.Array => new YamlSequenceNode { Style = YamlDotNet.Core.Events.SequenceStyle.Flow },
        _ => new YamlMappingNode { Style = YamlDotNet.Core.Events.MappingStyle.Flow },
    };
}
