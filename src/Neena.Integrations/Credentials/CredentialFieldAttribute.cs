namespace Neena.Integrations.Credentials;

/// <summary>
/// Declares one field an organization's credential for this integration must hold (for example Trello's <c>api_key</c>).
/// Every declared field is required when a credential is stored, and no other field is accepted; every value is a secret.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class CredentialFieldAttribute(string name, string description) : Attribute
{
    /// <summary>The snake_case field name clients send in <c>credentials</c>.</summary>
    public string Name { get; } = name;

    /// <summary>What the value is and where to find it on the platform.</summary>
    public string Description { get; } = description;
}

/// <summary>One credential field as the catalogue shows it: a name and what to put there, never a value.</summary>
public sealed record CredentialFieldDescriptor(string Name, string DocString);
