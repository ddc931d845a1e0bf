using System.Data;
using System.Runtime.CompilerServices;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Neena.Persistence.Sql;

/// <summary>
/// Dapper's process-wide settings, registered once, when this assembly is first used (so by any query class, in the
/// server, the engine and the tests alike): rows map to their types by column name (<c>flow_run_id</c> →
/// <c>FlowRunId</c>), never by position, and a <see cref="TimeSpan"/> travels as an <c>interval</c>. Stored JSON needs
/// no handler: the reads that return it select its UTF-8 text (<c>convert_to(column::text, 'UTF8')</c>) into a
/// <c>byte[]</c>, which the answer writes as it is.
/// </summary>
public static class DapperSetup
{
    // A library's module initializer is what registers a global mapping before any of its queries can run, whoever calls first.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.AddTypeHandler(new IntervalHandler());
    }

    /// <summary>Dapper's own mapping sends a <see cref="TimeSpan"/> as <c>time</c>, which cannot add to a timestamp or hold a day.</summary>
    private sealed class IntervalHandler : SqlMapper.TypeHandler<TimeSpan>
    {
        public override void SetValue(IDbDataParameter parameter, TimeSpan value)
        {
            parameter.Value = value;
            if (parameter is NpgsqlParameter npgsql)
                npgsql.NpgsqlDbType = NpgsqlDbType.Interval;
        }

        public override TimeSpan Parse(object value) => (TimeSpan)value;
    }
}
