namespace Neena.Integrations.Trello;

// Trello's JSON as the REST API answers it (camelCase); mapped to the tasks' own snake_case outputs so flows see stable,
// documented names whatever Trello adds.

internal sealed record TrelloMemberWire(string Id, string? Username, string? FullName);

internal sealed record TrelloBoardWire(string Id, string Name, string? Desc, bool Closed, string? IdOrganization, string? Url, string? ShortUrl)
{
    public TrelloBoard ToOutput() => new()
    {
        Id = Id,
        Name = Name,
        Description = Desc ?? "",
        Closed = Closed,
        OrganizationId = IdOrganization,
        Url = Url,
        ShortUrl = ShortUrl,
    };
}

internal sealed record TrelloListWire(string Id, string Name, bool Closed, string IdBoard, double? Pos)
{
    public TrelloList ToOutput() => new() { Id = Id, Name = Name, Closed = Closed, BoardId = IdBoard, Position = Pos };
}

internal sealed record TrelloCardWire(
    string Id,
    string Name,
    string? Desc,
    bool Closed,
    string IdList,
    string IdBoard,
    DateTimeOffset? Due,
    double? Pos,
    string? Url,
    string? ShortUrl)
{
    public TrelloCard ToOutput() => new()
    {
        Id = Id,
        Name = Name,
        Description = Desc ?? "",
        Closed = Closed,
        ListId = IdList,
        BoardId = IdBoard,
        Due = Due,
        Position = Pos,
        Url = Url,
        ShortUrl = ShortUrl,
    };
}

internal sealed record TrelloActionCardWire(string Id, string? Name);

internal sealed record TrelloActionDataWire(string? Text, TrelloActionCardWire? Card);

internal sealed record TrelloActionWire(string Id, string Type, DateTimeOffset Date, string? IdMemberCreator, TrelloActionDataWire? Data, TrelloMemberWire? MemberCreator);
