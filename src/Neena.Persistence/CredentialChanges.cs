namespace Neena.Persistence;

/// <summary>
/// The PostgreSQL NOTIFY channel on which the database itself announces changes to what an authenticated principal is
/// made of (API keys, users, organizations). Triggers send them (migration <c>CredentialChangeNotifications</c>), so a
/// change made by any writer — an API instance, the command line, an operator's SQL — reaches every instance's cache.
/// Payloads: <c>api_key:&lt;id&gt;</c>, <c>user:&lt;id&gt;</c>, <c>organization:&lt;id&gt;</c>, or <c>all</c> (a truncation).
/// </summary>
public static class CredentialChanges
{
    public const string Channel = "neena_credentials_changed";

    public const string ApiKey = "api_key";
    public const string User = "user";
    public const string Organization = "organization";
    public const string All = "all";

    /// <summary>Reads a payload; false for one this version does not know (the caller then forgets everything).</summary>
    public static bool TryParse(string payload, out string kind, out Guid id)
    {
        id = Guid.Empty;
        kind = "";
        if (payload == All)
        {
            kind = All;
            return true;
        }
        var colon = payload.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !Guid.TryParse(payload.AsSpan(colon + 1), out id))
            return false;
        kind = payload[..colon];
        return kind is ApiKey or User or Organization;
    }
}
