namespace Neena.Integrations.Trello;

/// <summary>
/// The fields of a Trello credential (declared on <see cref="TrelloIntegration"/>). Trello authenticates REST calls with an
/// API key and a user token; webhooks are signed with the app's secret.
/// </summary>
public static class TrelloCredentials
{
    public const string ApiKey = "api_key";
    public const string Token = "token";
    public const string AppSecret = "app_secret";

    public const string ApiKeyDescription = "The API key of your Trello Power-Up (https://trello.com/power-ups/admin, API key tab).";
    public const string TokenDescription = "A user token authorised for that key (the Token link beside the API key); tasks act as this user.";
    public const string AppSecretDescription = "The Power-Up's secret (beside the API key): Trello signs webhook deliveries with it.";
}
