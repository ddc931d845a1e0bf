using Neena.Integrations.Platforms;

namespace Neena.Integrations.Trello;

/// <summary>The Trello client's settings: the <c>Integrations:Trello</c> configuration section.</summary>
public sealed class TrelloOptions : PlatformClientOptions
{
    public const string SectionName = "Integrations:Trello";
    public const string DefaultBaseUrl = "https://api.trello.com/1/";

    public override string BaseUrl { get; set; } = DefaultBaseUrl;
}
