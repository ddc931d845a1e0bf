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

    [Task("Get Boards", Description = "Lists the Trello boards of the credential's user (open ones unless a filter says otherwise).")]
    public async Task<List<TrelloBoard>> GetBoards(GetBoardsInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var filter = OneOf(input.Filter, BoardFilters, "filter");
        var boards = await trello.GetAsync<List<TrelloBoardWire>>(
            await CredentialsAsync(context), "members/me/boards", context.CancellationToken, ("filter", filter), ("fields", BoardFields));
        return boards.Select(b => b.ToOutput()).ToList();
    }

    [Task("Create Board", Description = "Creates a Trello board, by default with Trello's lists To Do, Doing and Done.")]
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

    [Task("Get Board", Description = "Reads one Trello board: its name, description, state and address.")]
    public async Task<TrelloBoard> GetBoard(BoardIdInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var board = await trello.GetAsync<TrelloBoardWire>(
            await CredentialsAsync(context), "boards/" + TrelloClient.Id(input.BoardId, "board_id"), context.CancellationToken, ("fields", BoardFields));
        return board.ToOutput();
    }

    [Task("Update Board", Description = "Renames a Trello board, changes its description, or closes or reopens it; fields left out stay as they are.")]
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

    [Task("Delete Board", Description = "Deletes a Trello board with its lists and cards, for good (closing it with Update Board can be undone).")]
    public async Task<TrelloDeleted> DeleteBoard(BoardIdInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var id = TrelloClient.Id(input.BoardId, "board_id");
        await trello.SendAsync<System.Text.Json.Nodes.JsonNode>(HttpMethod.Delete, await CredentialsAsync(context), "boards/" + id, [], context.CancellationToken);
        return new TrelloDeleted { Id = id, Deleted = true };
    }

    [Task("Create Card", Description = "Creates a card in a Trello list, with an optional description, position and due date.")]
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

    [Task("Get Card", Description = "Reads one Trello card: its name, description, list, board, due date and address.")]
    public async Task<TrelloCard> GetCard(CardIdInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var card = await trello.GetAsync<TrelloCardWire>(
            await CredentialsAsync(context), "cards/" + TrelloClient.Id(input.CardId, "card_id"), context.CancellationToken, ("fields", CardFields));
        return card.ToOutput();
    }

    [Task("Update Card", Description = "Changes a Trello card: name, description, list (to move it), due date, position, or closes or reopens it; fields left out stay as they are.")]
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

    [Task("Delete Card", Description = "Deletes a Trello card for good (closing it with Update Card can be undone).")]
    public async Task<TrelloDeleted> DeleteCard(CardIdInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var id = TrelloClient.Id(input.CardId, "card_id");
        await trello.SendAsync<System.Text.Json.Nodes.JsonNode>(HttpMethod.Delete, await CredentialsAsync(context), "cards/" + id, [], context.CancellationToken);
        return new TrelloDeleted { Id = id, Deleted = true };
    }

    [Task("Create List", Description = "Creates a list on a Trello board.")]
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

    [Task("Get List", Description = "Reads one Trello list: its name, board, position and state.")]
    public async Task<TrelloList> GetList(ListIdInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var list = await trello.GetAsync<TrelloListWire>(
            await CredentialsAsync(context), "lists/" + TrelloClient.Id(input.ListId, "list_id"), context.CancellationToken, ("fields", ListFields));
        return list.ToOutput();
    }

    [Task("Update List", Description = "Renames a Trello list, moves it (to another position or board), or closes or reopens it; fields left out stay as they are.")]
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

    [Task("Get Cards in List", Description = "Lists the open cards of a Trello list, in their order.")]
    public async Task<List<TrelloCard>> GetCardsInList(ListIdInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var cards = await trello.GetAsync<List<TrelloCardWire>>(
            await CredentialsAsync(context), $"lists/{TrelloClient.Id(input.ListId, "list_id")}/cards", context.CancellationToken, ("fields", CardFields));
        return cards.Select(c => c.ToOutput()).ToList();
    }

    [Task("Get Lists in Board", Description = "Lists the lists of a Trello board, in their order (open ones unless a filter says otherwise).")]
    public async Task<List<TrelloList>> GetListsInBoard(GetListsInBoardInput input, TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var filter = OneOf(input.Filter, ListFilters, "filter");
        var lists = await trello.GetAsync<List<TrelloListWire>>(
            await CredentialsAsync(context), $"boards/{TrelloClient.Id(input.BoardId, "board_id")}/lists", context.CancellationToken,
            ("filter", filter), ("fields", ListFields));
        return lists.Select(l => l.ToOutput()).ToList();
    }

    [Task("Add Comment to Card", Description = "Adds a comment to a Trello card, as the credential's user.")]
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
