namespace Neena.Api.Idempotency;

/// <summary>
/// A GET that may change state (kept from the original, whose frontend calls it with GET) honours <c>Idempotency-Key</c> as
/// every POST does, so that a retried request saves once.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AcceptsIdempotencyKeyAttribute : Attribute;
