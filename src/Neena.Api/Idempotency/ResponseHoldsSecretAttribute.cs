namespace Neena.Api.Idempotency;

/// <summary>
/// Marks a POST whose answer shows a secret once (an API key, a signing secret): its body is never stored for replay,
/// so a repeat with the same <c>Idempotency-Key</c> creates nothing and answers 409 instead of the secret.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ResponseHoldsSecretAttribute : Attribute;
