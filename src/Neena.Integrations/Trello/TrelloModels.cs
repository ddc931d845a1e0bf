using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;

namespace Neena.Integrations.Trello;

[SuppressMessage("Design", "CA1056:URI-like properties should not be strings", Justification = "Task outputs are JSON text.")]
public sealed record TrelloBoard
{
    [Description("The board's id.")]
    public required string Id { get; init; }

    [Description("The board's name.")]
    public required string Name { get; init; }

    [Description("The board's description (empty when it has none).")]
    public required string Description { get; init; }

    [Description("Whether the board is closed (archived).")]
    public required bool Closed { get; init; }

    [Description("The id of the Workspace the board belongs to, if any.")]
    public string? OrganizationId { get; init; }

    [Description("The board's web address.")]
    public string? Url { get; init; }

    [Description("The board's short web address.")]
    public string? ShortUrl { get; init; }
}

public sealed record TrelloList
{
    [Description("The list's id.")]
    public required string Id { get; init; }

    [Description("The list's name.")]
    public required string Name { get; init; }

    [Description("Whether the list is closed (archived).")]
    public required bool Closed { get; init; }

    [Description("The id of the board the list is on.")]
    public required string BoardId { get; init; }

    [Description("The list's position on the board (lists are ordered by it).")]
    public double? Position { get; init; }
}

[SuppressMessage("Design", "CA1056:URI-like properties should not be strings", Justification = "Task outputs are JSON text.")]
public sealed record TrelloCard
{
    [Description("The card's id.")]
    public required string Id { get; init; }

    [Description("The card's name (its title).")]
    public required string Name { get; init; }

    [Description("The card's description (empty when it has none).")]
    public required string Description { get; init; }

    [Description("Whether the card is closed (archived).")]
    public required bool Closed { get; init; }

    [Description("The id of the list the card is in.")]
    public required string ListId { get; init; }

    [Description("The id of the board the card is on.")]
    public required string BoardId { get; init; }

    [Description("The card's due date, if it has one.")]
    public DateTimeOffset? Due { get; init; }

    [Description("The card's position in its list.")]
    public double? Position { get; init; }

    [Description("The card's web address.")]
    public string? Url { get; init; }

    [Description("The card's short web address.")]
    public string? ShortUrl { get; init; }
}

public sealed record TrelloComment
{
    [Description("The id of the comment (a Trello action of type commentCard).")]
    public required string Id { get; init; }

    [Description("The id of the card commented on.")]
    public required string CardId { get; init; }

    [Description("The comment's text.")]
    public required string Text { get; init; }

    [Description("When the comment was made.")]
    public required DateTimeOffset Date { get; init; }

    [Description("The id of the member who commented (the token's user).")]
    public string? MemberId { get; init; }

    [Description("The username of the member who commented.")]
    public string? MemberUsername { get; init; }
}

public sealed record TrelloDeleted
{
    [Description("The id of what was deleted.")]
    public required string Id { get; init; }

    [Description("Always true: Trello confirmed the deletion.")]
    public required bool Deleted { get; init; }
}

public sealed record GetBoardsInput
{
    [Description("Which of the token user's boards: open (default), closed, all, members, organization, public or starred.")]
    public string Filter { get; init; } = "open";
}

public sealed record CreateBoardInput
{
    [Description("The new board's name (1 to 16384 characters).")]
    public required string Name { get; init; }

    [Description("The new board's description.")]
    public string? Description { get; init; }

    [Description("Whether Trello adds its default lists (To Do, Doing, Done); false creates an empty board.")]
    public bool DefaultLists { get; init; } = true;

    [Description("The id of the Workspace to create the board in; left out, the token user's default.")]
    public string? OrganizationId { get; init; }
}

public sealed record BoardIdInput
{
    [Description("The board's id (or short link).")]
    public required string BoardId { get; init; }
}

public sealed record UpdateBoardInput
{
    [Description("The board's id (or short link).")]
    public required string BoardId { get; init; }

    [Description("A new name; left out, the name stays.")]
    public string? Name { get; init; }

    [Description("A new description; left out, the description stays.")]
    public string? Description { get; init; }

    [Description("True closes (archives) the board, false reopens it; left out, it stays as it is.")]
    public bool? Closed { get; init; }
}

public sealed record CreateCardInput
{
    [Description("The id of the list to create the card in.")]
    public required string ListId { get; init; }

    [Description("The card's name (its title).")]
    public required string Name { get; init; }

    [Description("The card's description.")]
    public string? Description { get; init; }

    [Description("Where in the list: top, bottom (Trello's default) or a positive number.")]
    public string? Position { get; init; }

    [Description("A due date for the card.")]
    public DateTimeOffset? Due { get; init; }
}

public sealed record CardIdInput
{
    [Description("The card's id (or short link).")]
    public required string CardId { get; init; }
}

public sealed record UpdateCardInput
{
    [Description("The card's id (or short link).")]
    public required string CardId { get; init; }

    [Description("A new name; left out, the name stays.")]
    public string? Name { get; init; }

    [Description("A new description; left out, the description stays.")]
    public string? Description { get; init; }

    [Description("The id of a list to move the card to; left out, the card stays in its list.")]
    public string? ListId { get; init; }

    [Description("True closes (archives) the card, false reopens it; left out, it stays as it is.")]
    public bool? Closed { get; init; }

    [Description("A new due date; left out, the due date stays.")]
    public DateTimeOffset? Due { get; init; }

    [Description("A new position in its list: top, bottom or a positive number; left out, the card stays where it is.")]
    public string? Position { get; init; }
}

public sealed record CreateListInput
{
    [Description("The id of the board to create the list on.")]
    public required string BoardId { get; init; }

    [Description("The list's name.")]
    public required string Name { get; init; }

    [Description("Where on the board: top, bottom or a positive number; left out, Trello puts it last.")]
    public string? Position { get; init; }
}

public sealed record ListIdInput
{
    [Description("The list's id.")]
    public required string ListId { get; init; }
}

public sealed record UpdateListInput
{
    [Description("The list's id.")]
    public required string ListId { get; init; }

    [Description("A new name; left out, the name stays.")]
    public string? Name { get; init; }

    [Description("True closes (archives) the list, false reopens it; left out, it stays as it is.")]
    public bool? Closed { get; init; }

    [Description("The id of a board to move the list to; left out, the list stays on its board.")]
    public string? BoardId { get; init; }

    [Description("A new position on the board: top, bottom or a positive number; left out, the list stays where it is.")]
    public string? Position { get; init; }
}

public sealed record GetListsInBoardInput
{
    [Description("The board's id (or short link).")]
    public required string BoardId { get; init; }

    [Description("Which lists: open (default), closed, all or none.")]
    public string Filter { get; init; } = "open";
}

public sealed record AddCommentInput
{
    [Description("The id (or short link) of the card to comment on.")]
    public required string CardId { get; init; }

    [Description("The comment's text (1 to 16384 characters).")]
    public required string Text { get; init; }
}
