namespace Neena.Integrations.Slack;

/// <summary>
/// The fields of a Slack credential (declared on <see cref="SlackIntegration"/>): the app's bot token for Web API calls,
/// and its signing secret, with which Slack signs the Events API requests it sends.
/// </summary>
public static class SlackCredentials
{
    public const string BotToken = "bot_token";
    public const string SigningSecret = "signing_secret";

    public const string BotTokenDescription = "The app's Bot User OAuth Token (xoxb-…), from OAuth & Permissions; tasks act as the bot.";
    public const string SigningSecretDescription = "The app's Signing Secret, from Basic Information: it verifies the events Slack sends.";
}
