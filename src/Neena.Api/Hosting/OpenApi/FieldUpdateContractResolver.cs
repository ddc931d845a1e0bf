using Neena.Api.Contracts.Common;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Neena.Api.Hosting.OpenApi;

/// <summary>
/// A <see cref="FieldUpdate{T}"/> travels as a plain <c>T</c> (its converter writes and reads only the value), so the
/// document must show <c>T</c>, not the wrapper's <c>is_set</c>/<c>value</c> internals.
/// </summary>
internal sealed class FieldUpdateContractResolver(ISerializerDataContractResolver inner) : ISerializerDataContractResolver
{
    public DataContract GetDataContractForType(Type type) =>
        inner.GetDataContractForType(FieldUpdateValueType(type) ?? type);

    public static Type? FieldUpdateValueType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(FieldUpdate<>) ? type.GetGenericArguments()[0] : null;
}
