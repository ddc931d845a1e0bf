namespace Neena.Domain.Common;

public static class Permissions
{
    public const string Read = "read";
    public const string Write = "write";

    public static readonly IReadOnlyList<string> All = [Read, Write];

    public static bool IsKnown(string permission) => permission is Read or Write;
}
