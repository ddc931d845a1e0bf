using System.ComponentModel;
using Neena.Integrations.Triggers;

namespace Neena.Integrations.Trello;

// Trello webhooks POST {"action": {...}, "model": {...}} to the callback URL; the action's type names the event and its
// data carries the card, list and board it concerns (https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/).

[Trigger("Card Created", typeof(TrelloIntegration), Event = "createCard", EntityField = "card_id",
    Description = "A card was created on a watched Trello board or list.")]
public sealed record TrelloCardCreated
{
    [EventField("$.action.data.card.id")]
    [Description("The new card's id.")]
    public required string CardId { get; init; }

    [EventField("$.action.data.card.name")]
    [Description("The new card's name.")]
    public required string CardName { get; init; }

    [EventField("$.action.data.list.name")]
    [Description("The name of the list the card was created in.")]
    public required string ListName { get; init; }

    [EventField("$.action.data.list.id")]
    [Description("The id of the list the card was created in.")]
    public string? ListId { get; init; }

    [EventField("$.action.data.board.id")]
    [Description("The id of the board the card is on.")]
    public required string BoardId { get; init; }
}

[Trigger("Comment Added", typeof(TrelloIntegration), Event = "commentCard", EntityField = "card_id",
    Description = "Someone commented on a card of a watched Trello board or card.")]
public sealed record TrelloCommentAdded
{
    [EventField("$.action.data.card.id")]
    [Description("The id of the card commented on.")]
    public required string CardId { get; init; }

    [EventField("$.action.data.text")]
    [Description("The comment's text.")]
    public required string Text { get; init; }

    [EventField("$.action.memberCreator.username")]
    [Description("The username of the member who commented.")]
    public required string Member { get; init; }

    [EventField("$.action.data.card.name")]
    [Description("The name of the card commented on.")]
    public string? CardName { get; init; }

    [EventField("$.action.data.board.id")]
    [Description("The id of the board the card is on.")]
    public string? BoardId { get; init; }
}
