using System.Text.Json.Nodes;
using Neena.Domain.Triggers;

namespace Neena.UnitTests.Domain;

public sealed class TriggerTemplateTests
{
    [Fact]
    public void Placeholders_BothFormsAndPadding_ReturnsNamesOnceInOrder()
    {
        var names = TriggerTemplate.Placeholders("Card <{card_name}> on {{ board_id }} in {{list_name}}; again <{card_name}> and {{  board_id\t}}");

        Assert.Equal(["card_name", "board_id", "list_name"], names);
    }

    [Fact]
    public void Placeholders_NoPlaceholders_IsEmpty()
    {
        Assert.Empty(TriggerTemplate.Placeholders("Summarise the card. {} { } {{ }} <{}> < {x} > <{ x }>"));
    }

    [Fact]
    public void Placeholders_NearMiss_IsReportedAsName()
    {
        // A dotted path is not a field name: reported so validation can refuse it instead of leaving it in the text.
        Assert.Equal(["card.id", "$.action"], TriggerTemplate.Placeholders("{{card.id}} <{$.action}>"));
    }

    [Fact]
    public void Placeholders_TripleBraces_FindsInnerPlaceholder()
    {
        Assert.Equal(["payload"], TriggerTemplate.Placeholders("{\"data\": {{{payload}}}}"));
    }

    [Fact]
    public void Render_KnownMissingAndNull_ReplacesMissingAndNullWithEmpty()
    {
        var values = new Dictionary<string, string?> { ["card_name"] = "Buy milk", ["member"] = null };

        var text = TriggerTemplate.Render("New card <{card_name}> by {{ member }} on <{board_id}>.", values);

        Assert.Equal("New card Buy milk by  on .", text);
    }

    [Fact]
    public void Render_ValueLooksLikePlaceholder_IsNotExpandedAgain()
    {
        var values = new Dictionary<string, string?> { ["text"] = "{{secret}} <{text}>", ["secret"] = "leaked" };

        Assert.Equal("said: {{secret}} <{text}>", TriggerTemplate.Render("said: {{text}}", values));
    }

    [Fact]
    public void Render_TextWithoutPlaceholders_IsUnchanged()
    {
        const string template = "Plain {text} with <braces> and {{ }}.";

        Assert.Equal(template, TriggerTemplate.Render(template, new Dictionary<string, string?>()));
    }

    [Fact]
    public void Values_JsonFields_StringsRawOthersAsCompactJson()
    {
        var fields = new JsonObject
        {
            ["text"] = "héllo \"you\"",
            ["count"] = 3,
            ["ok"] = true,
            ["payload"] = new JsonObject { ["a"] = new JsonArray(1, "é") },
            ["missing"] = null,
        };

        var values = TriggerTemplate.Values(fields);

        Assert.Equal("héllo \"you\"", values["text"]);
        Assert.Equal("3", values["count"]);
        Assert.Equal("true", values["ok"]);
        Assert.Equal("{\"a\":[1,\"é\"]}", values["payload"]);
        Assert.Null(values["missing"]);
        Assert.Equal("héllo \"you\" x3 {\"a\":[1,\"é\"]} []", TriggerTemplate.Render("{{text}} x<{count}> {{payload}} [{{missing}}]", values));
    }

    [Fact]
    public void Text_ParsedJsonString_IsRaw()
    {
        var node = JsonNode.Parse("{\"s\":\"a\\nb\"}")!["s"];

        Assert.Equal("a\nb", TriggerTemplate.Text(node));
    }
}
