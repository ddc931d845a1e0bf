using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace Neena.Integrations.Credentials;

/// <summary>
/// Encrypts a credential's fields for storage with ASP.NET Core Data Protection, whose key ring the host keeps where every
/// instance reads it. The purpose names the organization and the credential, so a ciphertext copied into another row or
/// another organization does not decrypt there.
/// </summary>
public sealed class CredentialProtector(IDataProtectionProvider provider)
{
    private const string Purpose = "Neena.IntegrationCredentials.v1";

    public string Protect(Guid organizationId, Guid credentialId, IReadOnlyDictionary<string, string> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        return Protector(organizationId, credentialId).Protect(JsonSerializer.Serialize(fields));
    }

    /// <exception cref="CryptographicException">The ciphertext was not made for this credential, or its key is gone.</exception>
    public IReadOnlyDictionary<string, string> Unprotect(Guid organizationId, Guid credentialId, string protectedFields)
    {
        var json = Protector(organizationId, credentialId).Unprotect(protectedFields);
        return JsonSerializer.Deserialize<Dictionary<string, string>>(json)
            ?? throw new CryptographicException("The protected credential holds no fields.");
    }

    private IDataProtector Protector(Guid organizationId, Guid credentialId) =>
        provider.CreateProtector(Purpose, organizationId.ToString("D"), credentialId.ToString("D"));
}
