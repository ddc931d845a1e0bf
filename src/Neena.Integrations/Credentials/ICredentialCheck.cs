namespace Neena.Integrations.Credentials;

/// <summary>Implemented by an integration that can tell whether a credential works (<c>POST /integration_credentials/check</c>).</summary>
public interface ICredentialCheck
{
    /// <summary>Makes one harmless authenticated call to the platform. Refusals and network trouble are answers, not exceptions.</summary>
    Task<CredentialCheckResult> CheckCredentialsAsync(IntegrationCredentials credentials, CancellationToken cancellationToken);
}

/// <param name="Ok">Whether the platform accepted the credential.</param>
/// <param name="Detail">Who the credential acts as, or why it failed; never a secret.</param>
public sealed record CredentialCheckResult(bool Ok, string Detail);
