using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Neena.Integrations.Triggers;

/// <summary>
/// Makes and keeps a generic webhook trigger's signing secret. The receiver must recompute the HMAC, so the value itself is
/// kept (encrypted with Data Protection, purpose bound to the organization and the operation), never a hash of it.
/// </summary>
public sealed class SigningSecretProtector(IDataProtectionProvider provider)
{
    private const string Purpose = "Neena.WebhookTriggerOperations.SigningSecret.v1";

    /// <summary>A new secret: 32 random bytes, as lowercase hex prefixed <c>whsec_</c> so it is recognisable in a leak scan.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public string Protect(Guid organizationId, Guid operationId, string secret) =>
        Protector(organizationId, operationId).Protect(secret);

    /// <exception cref="CryptographicException">The ciphertext was not made for this operation, or its key is gone.</exception>
    public string Unprotect(Guid organizationId, Guid operationId, string protectedSecret) =>
        Protector(organizationId, operationId).Unprotect(protectedSecret);

    private IDataProtector Protector(Guid organizationId, Guid operationId) =>
        provider.CreateProtector(Purpose, organizationId.ToString("D"), operationId.ToString("D"));
}
