using System.Text;
using Dapper;

namespace Neena.Persistence.Sql;

/// <summary>The organization a tenant-scoped statement reads or writes for. Every such statement takes one.</summary>
public readonly record struct Tenant(Guid OrganizationId)
{
    /// <summary>The acting organization of a context; none (no tenant: nothing to read) when it acts for none.</summary>
    public static Tenant? Of(ITenantContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.OrganizationId is { } organization ? new Tenant(organization) : null;
    }
}

/// <summary>
/// The one place that writes the tenant condition of a statement (<c>r.organization_id = @tenant</c>): query classes
/// never write it by hand, so none can forget it or bind it to something else.
/// </summary>
public static class TenantSql
{
    /// <summary>The parameter that holds the tenant's organization; an INSERT of a tenant row writes it in its VALUES.</summary>
    public const string Parameter = "tenant";

    /// <summary>The condition on the row of <paramref name="alias"/>; bind <see cref="Parameters"/> (or a <see cref="SqlWhere"/>) with it.</summary>
    public static string Condition(string alias) => $"{alias}.organization_id = @{Parameter}";

    /// <summary>
    /// The tenant condition of a statement that finds its rows by a key (the row's id, or the run's id for its task runs): the same test, in a form no index can serve
    /// (<c>IS NOT DISTINCT FROM</c>; the column is never null), so that the planner reaches the row through its key. As an
    /// equality it let indexes that lead with <c>organization_id</c> look as cheap as the key whenever the statistics were
    /// gathered while the table was small, and the planner took them: every run of the organization read for one (issue 23).
    /// </summary>
    public static string ConditionOnKeyedRow(string alias, string parameter = Parameter) => $"{alias}.organization_id IS NOT DISTINCT FROM @{parameter}";

    /// <summary>Parameters with the tenant bound; the statement adds its own.</summary>
    public static DynamicParameters Parameters(Tenant tenant)
    {
        var parameters = new DynamicParameters();
        parameters.Add(Parameter, tenant.OrganizationId);
        return parameters;
    }

    /// <summary>A WHERE clause on <paramref name="alias"/>'s rows that starts with the tenant condition.</summary>
    public static SqlWhere Where(Tenant tenant, string alias) => new(Condition(alias), Parameters(tenant));
}

/// <summary>
/// A WHERE clause built from the filters that are set, with its parameters: each combination of filters is its own
/// constant text, which Npgsql prepares once per connection.
/// </summary>
public sealed class SqlWhere(string first, DynamicParameters parameters)
{
    private readonly StringBuilder _text = new(first);

    public DynamicParameters Parameters { get; } = parameters;

    /// <summary>A condition with one parameter, named in it as <c>@name</c>.</summary>
    public SqlWhere And(string condition, string name, object value)
    {
        Parameters.Add(name, value);
        return And(condition);
    }

    /// <summary>A run's <c>triggered_time</c> within an inclusive period; an open end is not a condition.</summary>
    public SqlWhere TriggeredBetween(string alias, DateTime? from, DateTime? to)
    {
        if (from is { } start)
            And($"{alias}.triggered_time >= @from", "from", start);
        if (to is { } end)
            And($"{alias}.triggered_time <= @to", "to", end);
        return this;
    }

    /// <summary>A condition with no parameter (a state rule from <see cref="FlowRuns.RunConditionSql"/>).</summary>
    public SqlWhere And(string condition)
    {
        _text.Append(" AND ").Append(condition);
        return this;
    }

    public override string ToString() => _text.ToString();
}
