using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;

namespace Neena.Integrations.Trello;

[SuppressMessage("Design", "CA1056:URI-like properties should not be strings", Justification = "Task outputs are JSON text.")]
public sealed record TrelloBoard
{
    [Description("The board's id (24 hexadecimal characters), which the other board tasks take as board_id.")]
    public required string Id { get; init; }

    [Description("The board's name.")]
    public required string Name { get; init; }

    [Description("The board's description (empty when it has none).")]
    public required string Description { get; init; }

    [Description("Whether the board is closed (archived).")]
    public required bool Closed { get; init; }

    [Description("The id of the Trello Workspace the board belongs to, if any.")]
    public string? OrganizationId { get; init; }

    [Description("The board's web address (https://trello.com/b/…), to share with people.")]
    public string? Url { get; init; }

    [Description("The board's short web address (https://trello.com/b/SHORTLINK).")]
    public string? ShortUrl { get; init; }
}

public sealed record TrelloList
{
    [Description("The list's id (24 hexadecimal characters), which the card tasks take as list_id.")]
    public required string Id { get; init; }

    [Description("The list's name, such as To Do or Done.")]
    public required string Name { get; init; }

    [Description("Whether the list is closed (archived).")]
    public required bool Closed { get; init; }

    [Description("The id of the board the list is on.")]
    public required string BoardId { get; init; }

    [Description("The list's position on the board, a number: lists are ordered by it, smallest first.")]
    public double? Position { get; init; }
}

[SuppressMessage("Design", "CA1056:URI-like properties should not be strings", Justification = "Task outputs are JSON text.")]
public sealed record TrelloCard
{
    [Description("The card's id (24 hexadecimal characters), which the other card tasks take as card_id.")]
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

    [Description("The card's due date and time (ISO 8601, UTC), if it has one.")]
    public DateTimeOffset? Due { get; init; }

    [Description("The card's position in its list, a number: cards are ordered by it, smallest first.")]
    public double? Position { get; init; }

    [Description("The card's web address (https://trello.com/c/…), to share with people.")]
    public string? Url { get; init; }

    [Description("The card's short web address (https://trello.com/c/SHORTLINK).")]
    public string? ShortUrl { get; init; }
}

public sealed record TrelloComment
{
    [Description("The id of the comment (a Trello action of type commentCard).")]
    public required string Id { get; init; }

    [Description("The id of the card commented on.")]
    public required string CardId { get; init; }

    [Description("The comment's text as Trello stored it.")]
    public required string Text { get; init; }

    [Description("When the comment was made (ISO 8601, UTC).")]
    public required DateTimeOffset Date { get; init; }

    [Description("The id of the Trello member who commented (the credential's user).")]
    public string? MemberId { get; init; }

    [Description("The username of the member who commented.")]
    public string? MemberUsername { get; init; }
}

public sealed record TrelloDeleted
{
    [Description("The id of the board or card that was deleted.")]
    public required string Id { get; init; }

    [Description("Always true: Trello confirmed the deletion.")]
    public required bool Deleted { get; init; }
}

public sealed record GetBoardsInput
{
    [Description("Which boards: open (the default), closed, all, members, organization, public or starred.")]
    public string Filter { get; init; } = "open";
}

public sealed record CreateBoardInput
{
    [Description("The new board's name, such as Website relaunch (1 to 16384 characters).")]
    public required string Name { get; init; }

    [Description("The new board's description; left out, it has none.")]
    public string? Description { get; init; }

    [Description("Whether Trello adds its default lists To Do, Doing and Done (true, the default); false creates a board without lists.")]
    public bool DefaultLists { get; init; } = true;

    [Description("The id of the Trello Workspace to create the board in, as a board's organization_id from Get Boards or Get Board shows it; left out, Trello's default for the credential's user.")]
    public string? OrganizationId { get; init; }
}

public sealed record BoardIdInput
{
    [Description("The id of the Trello board (24 hexadecimal characters) or its short link, as returned by Create Board, Get Boards, or Get Card and Get List (board_id).")]
    public required string BoardId { get; init; }
}

public sealed record UpdateBoardInput
{
    [Description("The id of the Trello board (24 hexadecimal characters) or its short link, as returned by Create Board, Get Boards, or Get Card and Get List (board_id).")]
    public required string BoardId { get; init; }

    [Description("A new name for the board (1 to 16384 characters); left out, the name stays.")]
    public string? Name { get; init; }

    [Description("A new description; left out, the description stays.")]
    public string? Description { get; init; }

    [Description("True closes (archives) the board, false reopens it; left out, it stays as it is.")]
    public bool? Closed { get; init; }
}

public sealed record CreateCardInput
{
    [Description("The id of the Trello list to create the card in (24 hexadecimal characters), as returned by Create List or Get Lists in Board.")]
    public required string ListId { get; init; }

    [Description("The card's name (its title), such as Fix the login page (1 to 16384 characters); often from the request.")]
    public required string Name { get; init; }

    [Description("The card's description (Trello Markdown); left out, it has none.")]
    public string? Description { get; init; }

    [Description("Where in the list: top, bottom (Trello's default) or a positive number (cards are ordered by position, smallest first).")]
    public string? Position { get; init; }

    [Description("A due date and time for the card, ISO 8601 such as 2026-12-01T17:00:00Z; left out, none.")]
    public DateTimeOffset? Due { get; init; }
}

public sealed record CardIdInput
{
    [Description("The id of the Trello card (24 hexadecimal characters) or its short link, as returned by Create Card, Get Cards in List or Get Card.")]
    public required string CardId { get; init; }
}

public sealed record UpdateCardInput
{
    [Description("The id of the Trello card (24 hexadecimal characters) or its short link, as returned by Create Card, Get Cards in List or Get Card.")]
    public required string CardId { get; init; }

    [Description("A new name (title) for the card (1 to 16384 characters); left out, the name stays.")]
    public string? Name { get; init; }

    [Description("A new description; left out, the description stays.")]
    public string? Description { get; init; }

    [Description("The id of a list to move the card to, such as the Done list's id from Get Lists in Board; left out, the card stays in its list.")]
    public string? ListId { get; init; }

    [Description("True closes (archives) the card, false reopens it; left out, it stays as it is.")]
    public bool? Closed { get; init; }

    [Description("A new due date and time, ISO 8601 such as 2026-12-01T17:00:00Z; left out, the due date stays.")]
    public DateTimeOffset? Due { get; init; }

    [Description("A new position in its list: top, bottom or a positive number; left out, the card stays where it is.")]
    public string? Position { get; init; }
}

public sealed record CreateListInput
{
    [Description("The id of the Trello board to create the list on (24 hexadecimal characters), as returned by Create Board or Get Boards.")]
    public required string BoardId { get; init; }

    [Description("The list's name, such as Backlog (1 to 16384 characters).")]
    public required string Name { get; init; }

    [Description("Where on the board: top, bottom or a positive number (lists are ordered by position, smallest first); left out, Trello places it.")]
    public string? Position { get; init; }
}

public sealed record ListIdInput
{
    [Description("The id of the Trello list (24 hexadecimal characters), as returned by Create List or Get Lists in Board (or a card's list_id).")]
    public required string ListId { get; init; }
}

public sealed record UpdateListInput
{
    [Description("The id of the Trello list (24 hexadecimal characters), as returned by Create List or Get Lists in Board (or a card's list_id).")]
    public required string ListId { get; init; }

    [Description("A new name for the list (1 to 16384 characters); left out, the name stays.")]
    public string? Name { get; init; }

    [Description("True closes (archives) the list, false reopens it; left out, it stays as it is.")]
    public bool? Closed { get; init; }

    [Description("The id of a board to move the list to, as returned by Create Board or Get Boards; left out, the list stays on its board.")]
    public string? BoardId { get; init; }

    [Description("A new position on the board: top, bottom or a positive number; left out, the list stays where it is.")]
    public string? Position { get; init; }
}

public sealed record GetListsInBoardInput
{
    [Description("The id of the Trello board (24 hexadecimal characters) or its short link, as returned by Create Board, Get Boards, or Get Card and Get List (board_id).")]
    public required string BoardId { get; init; }

    [Description("Which lists: open (the default), closed, all or none.")]
    public string Filter { get; init; } = "open";
}

public sealed record AddCommentInput
{
    [Description("The id of the Trello card (24 hexadecimal characters) or its short link, as returned by Create Card, Get Cards in List or Get Card.")]
    public required string CardId { get; init; }

    [Description("The comment's text (Trello Markdown, 1 to 16384 characters), such as a status note composed by an earlier task.")]
    public required string Text { get; init; }
}
