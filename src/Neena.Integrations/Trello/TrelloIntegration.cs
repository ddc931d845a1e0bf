using System.Globalization;
using Neena.Integrations.Credentials;

namespace Neena.Integrations.Trello;

/// <summary>
/// Boards, lists, cards and comments on Trello, with the organization's Trello credential (an API key and a user token:
/// the tasks act as that user). Each task is one documented call of the Trello REST API v1.
/// </summary>
[Integration(ShortName, "Trello", AuthType = IntegrationAuthType.ApiKey)]
[CredentialField(TrelloCredentials.ApiKey, TrelloCredentials.ApiKeyDescription)]
[CredentialField(TrelloCredentials.Token, TrelloCredentials.TokenDescription)]
[CredentialField(TrelloCredentials.AppSecret, TrelloCredentials.AppSecretDescription)]
public sealed class TrelloIntegration(TrelloClient trello) : ICredentialCheck
{
    public const string ShortName = "trello";

    private const string BoardFields = "id,name,desc,closed,idOrganization,url,shortUrl";
    private const string ListFields = "id,name,closed,idBoard,pos";
    private const string CardFields = "id,name,desc,closed,idList,idBoard,due,pos,url,shortUrl";
    private const int MaxTextLength = 16384;

    private static readonly string[] BoardFilters = ["open", "closed", "all", "members", "organization", "public", "starred"];
    private static readonly string[] ListFilters = ["open", "closed", "all", "none"];

    [Task("Get Boards", Description = "Lists the Trello boards of the credential's user, the open ones unless filter says otherwise (GET members/me/boards), and returns each board's id, name, description, state and web address. Use it to see which boards the user has, or to find a board's id from its name.")]
    public async Task<List<TrelloBoard>> GetBoards(GetBoardsInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var filter = OneOf(input.Filter, BoardFilters, "filter");
        var boards = await trello.GetAsync<List<TrelloBoardWire>>(
            await CredentialsAsync(context), "members/me/boards", context.CancellationToken, ("filter", filter), ("fields", BoardFields));
        return boards.Select(b => b.ToOutput()).ToList();
    }

    [Task("Create Board", Description = "Creates a Trello board with a name (POST boards), by default with Trello's lists To Do, Doing and Done, and returns the new board with its id and web address. Use it to start a board for a project or a team; Get Lists in Board then gives the ids of its lists, and Create List adds others.")]
    public async Task<TrelloBoard> CreateBoard(CreateBoardInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var board = await trello.SendAsync<TrelloBoardWire>(HttpMethod.Post, await CredentialsAsync(context), "boards/",
        [
            ("name", Text(input.Name, "name")),
            ("desc", input.Description),
            ("defaultLists", Bool(input.DefaultLists)),
            ("idOrganization", input.OrganizationId is null ? null : TrelloClient.Id(input.OrganizationId, "organization_id")),
        ], context.CancellationToken);
        return board.ToOutput();
    }

    [Task("Get Board", Description = "Reads one Trello board by its id or short link (GET boards/{id}) and returns its name, description, whether it is closed, its Workspace and its web address. Use it to show or check a board whose id an earlier task or the request gave.")]
    public async Task<TrelloBoard> GetBoard(BoardIdInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var board = await trello.GetAsync<TrelloBoardWire>(
            await CredentialsAsync(context), "boards/" + TrelloClient.Id(input.BoardId, "board_id"), context.CancellationToken, ("fields", BoardFields));
        return board.ToOutput();
    }

    [Task("Update Board", Description = "Closes (archives), reopens or renames a Trello board, or changes its description (PUT boards/{id}); fields left out stay as they are. Returns the board as it is afterwards. Use it to close or archive a board (it can be reopened later), to rename it, or to change its description.")]
    public async Task<TrelloBoard> UpdateBoard(UpdateBoardInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var id = TrelloClient.Id(input.BoardId, "board_id");
        var changes = Changes(
            ("name", input.Name is null ? null : Text(input.Name, "name")),
            ("desc", input.Description),
            ("closed", input.Closed is { } closed ? Bool(closed) : null));
        var board = await trello.SendAsync<TrelloBoardWire>(HttpMethod.Put, await CredentialsAsync(context), "boards/" + id, changes, context.CancellationToken);
        return board.ToOutput();
    }

    [Task("Delete Board", Description = "Deletes a Trello board permanently, with all its lists and cards (DELETE boards/{id}), and returns its id with deleted true. Use it only when the board must be removed for good: a deletion cannot be undone.")]
    public async Task<TrelloDeleted> DeleteBoard(BoardIdInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var id = TrelloClient.Id(input.BoardId, "board_id");
        await trello.SendAsync<System.Text.Json.Nodes.JsonNode>(HttpMethod.Delete, await CredentialsAsync(context), "boards/" + id, [], context.CancellationToken);
        return new TrelloDeleted { Id = id, Deleted = true };
    }

    [Task("Create Card", Description = "Creates a card in a Trello list (POST cards) with a name and, optionally, a description, a position and a due date, and returns the new card with its id, list, board and web address. Use it to put a new card, such as a to-do, bug or request, on a board; the list's id comes from Create List or Get Lists in Board.")]
    public async Task<TrelloCard> CreateCard(CreateCardInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var card = await trello.SendAsync<TrelloCardWire>(HttpMethod.Post, await CredentialsAsync(context), "cards",
        [
            ("idList", TrelloClient.Id(input.ListId, "list_id")),
            ("name", Text(input.Name, "name")),
            ("desc", input.Description),
            ("pos", Position(input.Position, "position")),
            ("due", Date(input.Due)),
        ], context.CancellationToken);
        return card.ToOutput();
    }

    [Task("Get Card", Description = "Reads one Trello card by its id or short link (GET cards/{id}) and returns its details: name, description, list, board, due date, position, whether it is closed, and its web address. Use it to read or show a card's details, e.g. its description or due date.")]
    public async Task<TrelloCard> GetCard(CardIdInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var card = await trello.GetAsync<TrelloCardWire>(
            await CredentialsAsync(context), "cards/" + TrelloClient.Id(input.CardId, "card_id"), context.CancellationToken, ("fields", CardFields));
        return card.ToOutput();
    }

    [Task("Update Card", Description = "Moves a Trello card to another list, sets or changes its due date, archives (closes) or reopens it, or changes its name, description or position (PUT cards/{id}); fields left out stay as they are. Returns the card as it is afterwards. Use it to move a card to Done, give it a due date, archive it or edit its text.")]
    public async Task<TrelloCard> UpdateCard(UpdateCardInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var id = TrelloClient.Id(input.CardId, "card_id");
        var changes = Changes(
            ("name", input.Name is null ? null : Text(input.Name, "name")),
            ("desc", input.Description),
            ("idList", input.ListId is null ? null : TrelloClient.Id(input.ListId, "list_id")),
            ("closed", input.Closed is { } closed ? Bool(closed) : null),
            ("due", Date(input.Due)),
            ("pos", Position(input.Position, "position")));
        var card = await trello.SendAsync<TrelloCardWire>(HttpMethod.Put, await CredentialsAsync(context), "cards/" + id, changes, context.CancellationToken);
        return card.ToOutput();
    }

    [Task("Delete Card", Description = "Deletes a Trello card permanently (DELETE cards/{id}) and returns its id with deleted true. Use it only when the card must be removed for good: a deletion cannot be undone.")]
    public async Task<TrelloDeleted> DeleteCard(CardIdInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var id = TrelloClient.Id(input.CardId, "card_id");
        await trello.SendAsync<System.Text.Json.Nodes.JsonNode>(HttpMethod.Delete, await CredentialsAsync(context), "cards/" + id, [], context.CancellationToken);
        return new TrelloDeleted { Id = id, Deleted = true };
    }

    [Task("Create List", Description = "Creates a list (a column of cards) on a Trello board (POST lists), at the position given if any, and returns the new list with its id, name, board and position. Use it to add a column such as Backlog or Review to a board, then Create Card to put cards in it.")]
    public async Task<TrelloList> CreateList(CreateListInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var list = await trello.SendAsync<TrelloListWire>(HttpMethod.Post, await CredentialsAsync(context), "lists",
        [
            ("name", Text(input.Name, "name")),
            ("idBoard", TrelloClient.Id(input.BoardId, "board_id")),
            ("pos", Position(input.Position, "position")),
        ], context.CancellationToken);
        return list.ToOutput();
    }

    [Task("Get List", Description = "Reads one Trello list by its id (GET lists/{id}) and returns its name, position, whether it is closed, and the id of its board. Use it to find out what a single list is called, or where it is, when only its id is known.")]
    public async Task<TrelloList> GetList(ListIdInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var list = await trello.GetAsync<TrelloListWire>(
            await CredentialsAsync(context), "lists/" + TrelloClient.Id(input.ListId, "list_id"), context.CancellationToken, ("fields", ListFields));
        return list.ToOutput();
    }

    [Task("Update List", Description = "Renames, archives (closes), reopens or moves a Trello list, to another position or another board (PUT lists/{id}); fields left out stay as they are. Returns the list as it is afterwards. Use it to rename, reorder or archive a column of a board.")]
    public async Task<TrelloList> UpdateList(UpdateListInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var id = TrelloClient.Id(input.ListId, "list_id");
        var changes = Changes(
            ("name", input.Name is null ? null : Text(input.Name, "name")),
            ("closed", input.Closed is { } closed ? Bool(closed) : null),
            ("idBoard", input.BoardId is null ? null : TrelloClient.Id(input.BoardId, "board_id")),
            ("pos", Position(input.Position, "position")));
        var list = await trello.SendAsync<TrelloListWire>(HttpMethod.Put, await CredentialsAsync(context), "lists/" + id, changes, context.CancellationToken);
        return list.ToOutput();
    }

    [Task("Get Cards in List", Description = "Lists the open cards of a Trello list, in their order (GET lists/{id}/cards), and returns each card's id, name, description, due date, position and web address. Use it to see what is in a column, e.g. the cards still To Do, before reading, updating, moving or commenting on them.")]
    public async Task<List<TrelloCard>> GetCardsInList(ListIdInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var cards = await trello.GetAsync<List<TrelloCardWire>>(
            await CredentialsAsync(context), $"lists/{TrelloClient.Id(input.ListId, "list_id")}/cards", context.CancellationToken, ("fields", CardFields));
        return cards.Select(c => c.ToOutput()).ToList();
    }

    [Task("Get Lists in Board", Description = "Lists the lists (the columns) of a Trello board in their order (GET boards/{id}/lists), the open ones unless filter says otherwise, and returns each list's id, name, position and state. Use it to see a board's columns, or to find a list's id from its name, such as To Do or Done.")]
    public async Task<List<TrelloList>> GetListsInBoard(GetListsInBoardInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var filter = OneOf(input.Filter, ListFilters, "filter");
        var lists = await trello.GetAsync<List<TrelloListWire>>(
            await CredentialsAsync(context), $"boards/{TrelloClient.Id(input.BoardId, "board_id")}/lists", context.CancellationToken,
            ("filter", filter), ("fields", ListFields));
        return lists.Select(l => l.ToOutput()).ToList();
    }

    [Task("Add Comment to Card", Description = "Adds a comment to a Trello card as the credential's user (POST cards/{id}/actions/comments) and returns the comment's id, the card's id, the text, the date and the author. Use it to note progress or leave a message on a card, e.g. one created by Create Card or found by Get Cards in List.")]
    public async Task<TrelloComment> AddCommentToCard(AddCommentInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var id = TrelloClient.Id(input.CardId, "card_id");
        var action = await trello.SendAsync<TrelloActionWire>(HttpMethod.Post, await CredentialsAsync(context), $"cards/{id}/actions/comments",
            [("text", Text(input.Text, "text"))], context.CancellationToken);
        return new TrelloComment
        {
            Id = action.Id,
            CardId = action.Data?.Card?.Id ?? id,
            Text = action.Data?.Text ?? input.Text,
            Date = action.Date,
            MemberId = action.IdMemberCreator ?? action.MemberCreator?.Id,
            MemberUsername = action.MemberCreator?.Username,
        };
    }

    /// <summary>Reads the credential's member (<c>GET /1/members/me</c>), which any valid key and token may do.</summary>
    public async Task<CredentialCheckResult> CheckCredentialsAsync(IntegrationCredentials credentials, CancellationToken cancellationToken)
    {
        try
        {
            var me = await trello.GetAsync<TrelloMemberWire>(credentials, "members/me", cancellationToken, ("fields", "id,username,fullName"));
            return new CredentialCheckResult(true, $"Trello accepted the credential: it acts as member '{me.Username ?? me.Id}'{(me.FullName is { Length: > 0 } name ? $" ({name})" : "")}.");
        }
        catch (Exception ex) when (ex is TaskFailedException or TransientTaskException or TaskInputException)
        {
            return new CredentialCheckResult(false, ex.Message);
        }
    }

    private static Task<IntegrationCredentials> CredentialsAsync(TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Credentials.GetAsync(ShortName, context.CancellationToken);
    }

    private static (string, string?)[] Changes(params (string Name, string? Value)[] changes)
    {
        if (changes.All(c => c.Value is null))
            throw new TaskInputException("Give at least one field to change; every field other than the id was left out.");
        return changes.Select(c => (c.Name, c.Value)).ToArray();
    }

    private static string Text(string value, string field)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > MaxTextLength)
            throw new TaskInputException(field, $"Input field '{field}' must hold 1 to {MaxTextLength} characters, not only spaces.");
        return value;
    }

    private static string OneOf(string value, string[] allowed, string field) =>
        allowed.Contains(value, StringComparer.Ordinal)
            ? value
            : throw new TaskInputException(field, $"Input field '{field}' must be one of {string.Join(", ", allowed)}; got '{value}'.");

    private static string? Position(string? value, string field)
    {
        if (value is null or "top" or "bottom")
            return value;
        if (double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) && number > 0 && double.IsFinite(number))
            return value;
        throw new TaskInputException(field, $"Input field '{field}' must be top, bottom or a positive number; got '{value}'.");
    }

    private static string Bool(bool value) => value ? "true" : "false";

    private static string? Date(DateTimeOffset? value) =>
        value?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
