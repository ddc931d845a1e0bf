using System.Reflection;
using Neena.Api.Contracts.Common;
using Neena.Domain.Catalogue;

namespace Neena.Api.Hosting.OpenApi;

/// <summary>Short, readable schema names: what a client generator turns into class names.</summary>
internal static class SchemaNames
{
    /// <summary>Answer types that live outside the API (and so cannot carry <see cref="OutputSchemaAttribute"/>).</summary>
    public static readonly IReadOnlyDictionary<Type, string> ForeignOutputs = new Dictionary<Type, string>
    {
        [typeof(ParameterDefinition)] = "TaskParameter",
    };

    public static string For(Type type)
    {
        if (type.GetCustomAttribute<InputSchemaAttribute>() is { } input)
            return input.Name;
        if (type.GetCustomAttribute<OutputSchemaAttribute>() is { } output)
            return output.Name;
        if (ForeignOutputs.TryGetValue(type, out var foreign))
            return foreign;
        if (type.IsGenericType)
            return type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)] + "Of" + string.Concat(type.GetGenericArguments().Select(For));
        return type.Name;
    }
}
