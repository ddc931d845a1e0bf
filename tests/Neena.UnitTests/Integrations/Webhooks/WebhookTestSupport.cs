using System.Text.Json.Nodes;
using Neena.Integrations;
using Neena.Integrations.Triggers;
using Neena.Integrations.Webhooks;

namespace Neena.UnitTests.Integrations.Webhooks;

internal static class WebhookTestSupport
{
    public static TriggerDescriptor Trigger<TEvent>() =>
        IntegrationCatalogue.BuiltIn.Integrations.SelectMany(i => i.Triggers).Single(t => t.EventClrType == typeof(TEvent));

    public static JsonNode? Json(string text) => JsonNode.Parse(text);

    public static WebhookHeaders Headers(params (string Name, string Value)[] headers) =>
        WebhookHeaders.Of(headers.ToDictionary(h => h.Name, h => h.Value));

    public static readonly string[] NoUrls = [];
}
