namespace Neena.Integrations.Credentials;

/// <summary>How a running task obtains its organization's credential for an integration (<see cref="TaskContext.Credentials"/>).</summary>
public interface ICredentialAccessor
{
    /// <summary>The credential the task must use for <paramref name="integrationShortName"/>, decrypted.</summary>
    /// <exception cref="TaskFailedException">
    /// There is none (<c>No credential for integration 'trello'</c>), or the one the task operation names was deleted
    /// (<c>Credential '…' for integration 'trello' no longer exists</c>); a retry would not bring one, so this is permanent.
    /// </exception>
    Task<IntegrationCredentials> GetAsync(string integrationShortName, CancellationToken cancellationToken);
}

/// <summary>Finds and decrypts stored credentials; implemented where the database is (the host registers it).</summary>
public interface ICredentialResolver
{
    /// <summary>
    /// The organization's credential for the integration: the one with <paramref name="credentialId"/> when given, else the
    /// newest live one. Null when there is none, or when <paramref name="credentialId"/> names a credential that is deleted,
    /// of another organization or of another integration. Marks the credential as used.
    /// </summary>
    Task<IntegrationCredentials?> ResolveAsync(Guid organizationId, string integrationShortName, Guid? credentialId, CancellationToken cancellationToken);
}

public static class CredentialAccessor
{
    /// <summary>For tasks run without an organization behind them: every request for a credential fails.</summary>
    public static ICredentialAccessor None { get; } = new NoCredentials();

    /// <summary>
    /// The accessor the engine gives a task of <paramref name="organizationId"/>: credentials come from
    /// <paramref name="resolver"/>, the one named by the task operation (<paramref name="credentialId"/>) or else the newest.
    /// </summary>
    public static ICredentialAccessor ForOrganization(ICredentialResolver resolver, Guid organizationId, Guid? credentialId = null) =>
        new ResolvingAccessor(resolver ?? throw new ArgumentNullException(nameof(resolver)), organizationId, credentialId);

    public static string NoCredentialMessage(string integrationShortName) => $"No credential for integration '{integrationShortName}'";

    public static string NamedCredentialGoneMessage(Guid credentialId, string integrationShortName) =>
        $"Credential '{credentialId:D}' for integration '{integrationShortName}' no longer exists";

    private sealed class NoCredentials : ICredentialAccessor
    {
        public Task<IntegrationCredentials> GetAsync(string integrationShortName, CancellationToken cancellationToken) =>
            throw new TaskFailedException(NoCredentialMessage(integrationShortName));
    }

    private sealed class ResolvingAccessor(ICredentialResolver resolver, Guid organizationId, Guid? credentialId) : ICredentialAccessor
    {
        public async Task<IntegrationCredentials> GetAsync(string integrationShortName, CancellationToken cancellationToken)
        {
            var credentials = await resolver.ResolveAsync(organizationId, integrationShortName, credentialId, cancellationToken);
            if (credentials is not null)
                return credentials;
            // The flow was validated with the credential alive, so a named one that is not found was deleted since (or,
            // in a hand-edited database, never was): either way only a new credential or an edited flow can help.
            throw new TaskFailedException(credentialId is { } id
                ? NamedCredentialGoneMessage(id, integrationShortName)
                : NoCredentialMessage(integrationShortName));
        }
    }
}
