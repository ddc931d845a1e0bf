namespace Neena.Integrations.Http;

/// <summary>
/// Registered by <c>AddNeenaIntegrations</c> next to the named client; its presence proves the named client has the
/// address-guarding handler, so the task never picks up an unguarded client that happens to share the name.
/// </summary>
internal sealed class GuardedHttpClientRegistration;
