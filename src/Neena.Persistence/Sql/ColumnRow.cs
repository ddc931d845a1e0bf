using System.Data.Common;

namespace Neena.Persistence.Sql;

/// <summary>
/// The current row of a reader, its columns read by name with the reader's typed getters: for the hottest reads (the
/// run reads, the engine's run snapshot), where a general mapper would read every value column through
/// <c>GetValue</c>, one boxed object per column and row.
/// </summary>
internal readonly struct ColumnRow(DbDataReader reader)
{
    public T Get<T>(string column) => reader.GetFieldValue<T>(reader.GetOrdinal(column));

    public T? OrNull<T>(string column) where T : struct =>
        reader.GetOrdinal(column) is var i && reader.IsDBNull(i) ? null : reader.GetFieldValue<T>(i);

    public T? RefOrNull<T>(string column) where T : class =>
        reader.GetOrdinal(column) is var i && reader.IsDBNull(i) ? null : reader.GetFieldValue<T>(i);

    public Guid Uuid(string column) => Get<Guid>(column);

    public string Text(string column) => Get<string>(column);

    public string? StringOrNull(string column) => RefOrNull<string>(column);
}
