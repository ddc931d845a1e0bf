using Microsoft.AspNetCore.DataProtection;

namespace Neena.Integrations.Notifications;

/// <summary>
/// Keeps a notification subscription's signing secret encrypted at rest, as <see cref="Triggers.SigningSecretProtector"/>
/// keeps a webhook trigger's: the sender must recompute the HMAC, so the value is kept (Data Protection, purpose bound to
/// the organization and the subscription), never a hash of it.
/// </summary>
public sealed class NotificationSecretProtector(IDataProtectionProvider provider)
{
    private const string Purpose = "Neena.NotificationSubscriptions.Secret.v1";

    public string Protect(Guid organizationId, Guid subscriptionId, string secret) =>
        Protector(organizationId, subscriptionId).Protect(secret);

    /// <exception cref="System.Security.Cryptography.CryptographicException">The ciphertext was not made for this subscription, or its key is gone.</exception>
    public string Unprotect(Guid organizationId, Guid subscriptionId, string protectedSecret) =>
        Protector(organizationId, subscriptionId).Unprotect(protectedSecret);

    private IDataProtector Protector(Guid organizationId, Guid subscriptionId) =>
        provider.CreateProtector(Purpose, organizationId.ToString("D"), subscriptionId.ToString("D"));
}
