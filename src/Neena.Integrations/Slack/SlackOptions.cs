using Neena.Integrations.Platforms;

namespace Neena.Integrations.Slack;

/// <summary>The Slack client's settings: the <c>Integrations:Slack</c> configuration section.</summary>
public sealed class SlackOptions : PlatformClientOptions
{
    public const string SectionName = "Integrations:Slack";
    public const string DefaultBaseUrl = "https://slack.com/api/";

    public override string BaseUrl { get; set; } = DefaultBaseUrl;
}
