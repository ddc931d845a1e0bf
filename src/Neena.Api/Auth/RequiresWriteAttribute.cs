namespace Neena.Api.Auth;

/// <summary>
/// A GET that changes state (kept from the original, whose clients call it with GET) needs the <c>write</c>
/// permission, as every other change does: a read-only key must not create and run flows through it.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class RequiresWriteAttribute : Attribute;
