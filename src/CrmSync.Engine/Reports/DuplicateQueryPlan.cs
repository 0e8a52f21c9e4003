using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Reports;

/// <summary>
/// The SQL of one duplicate scan, built from the field catalog and the columns that really exist: every identifier is
/// either a <see cref="SystemColumns"/> constant or a catalogued column name checked by <see cref="SqlIdentifier"/>;
/// every value is a parameter.
/// </summary>
internal sealed class DuplicateQueryPlan
{
    private const string Person = "p";
    private const string Account = "a";

    private readonly string _from;
    private readonly string _where;
    private readonly string? _crmType;
    private readonly string _selectValues;
    private readonly Dictionary<CrmDuplicateRule, string> _keys;

    private DuplicateQueryPlan(string from, string where, string? crmType, string selectValues, Dictionary<CrmDuplicateRule, string> keys, IReadOnlyList<CrmDuplicateRule> rules)
    {
        _from = from;
        _where = where;
        _crmType = crmType;
        _selectValues = selectValues;
        _keys = keys;
        Rules = rules;
    }

    /// <summary>The rules that can run, in output tie-break order.</summary>
    public IReadOnlyList<CrmDuplicateRule> Rules { get; }

    public static DuplicateQueryPlan Build(DuplicateSearch search, CrmDuplicateFields names, SyncedObjectCatalog objects,
        IReadOnlyList<FieldCatalogEntry> catalog, IReadOnlySet<string> personColumns, Func<string, IReadOnlySet<string>> readColumns,
        Action<string> warn)
    {
        var personTable = SyncedObjectCatalog.PersonTable;
        var personObjects = objects.PersonObjects;
        string? PersonColumn(string field) => ColumnExpression(catalog, personTable, personObjects, field, personColumns, Person);

        var email = PersonColumn(names.Email);
        var first = PersonColumn(names.FirstName);
        var last = PersonColumn(names.LastName);
        var company = PersonColumn(names.Company);

        // Contact → Account name, when the person has the reference column and the account table has the name column.
        string? accountName = null;
        string? accountJoin = null;
        var accountReference = PersonColumn(names.AccountReference);
        var accountObject = objects.FindStandard(names.AccountObject);
        if (accountReference is not null && accountObject is not null)
        {
            var accountColumns = readColumns(accountObject.TableName);
            accountName = accountColumns.Count == 0
                ? null
                : ColumnExpression(catalog, accountObject.TableName, [accountObject.ObjectName], names.AccountName, accountColumns, Account);
            if (accountName is not null && accountColumns.Contains(SystemColumns.CrmId))
                accountJoin = $" LEFT JOIN {SqlIdentifier.Quote(accountObject.TableName)} {Account} ON {Account}.\"{SystemColumns.CrmId}\" = {accountReference}";
            else
                accountName = null;
        }

        string? companyValue = (company, accountName) switch
        {
            (not null, not null) =>
                $"CASE WHEN {Person}.\"{SystemColumns.CrmType}\" = '{PersonKind.Contact}' " +
                $"THEN coalesce(CASE WHEN trim({accountName}) <> '' THEN {accountName} END, {company}) " +
                $"ELSE coalesce(CASE WHEN trim({company}) <> '' THEN {company} END, {accountName}) END",
            (not null, null) => company,
            (null, not null) => accountName,
            _ => null,
        };

        var wantEmail = search.Rule is CrmDuplicateRuleSelection.All or CrmDuplicateRuleSelection.Email;
        var wantName = search.Rule is CrmDuplicateRuleSelection.All or CrmDuplicateRuleSelection.NameAndCompany;
        var rules = new List<CrmDuplicateRule>();
        var keys = new Dictionary<CrmDuplicateRule, string>();
        if (wantEmail)
        {
            if (email is null)
                warn($"The {personTable} table has no {names.Email} column (the field was excluded from {ShellAction.SyncFields} or the sync user cannot see it), so the Email rule is skipped.");
            else
            {
                rules.Add(CrmDuplicateRule.Email);
                keys[CrmDuplicateRule.Email] = $"crmsync_fold({email})";
            }
        }
        if (wantName)
        {
            if (last is null)
                warn($"The {personTable} table has no {names.LastName} column (the field was excluded from {ShellAction.SyncFields} or the sync user cannot see it), so the NameAndCompany rule is skipped.");
            else if (companyValue is null)
                warn($"The {personTable} table has no {names.Company} column and no {names.AccountReference} column with a local {names.AccountObject}.{names.AccountName} to take the company from, so the NameAndCompany rule is skipped.");
            else
            {
                if (first is null)
                    warn($"The {personTable} table has no {names.FirstName} column, so the NameAndCompany rule compares last names and companies only.");
                rules.Add(CrmDuplicateRule.NameAndCompany);
                keys[CrmDuplicateRule.NameAndCompany] = $"crmsync_person_key({first ?? "NULL"}, {last}, {companyValue})";
            }
        }

        // The account join is cheap (a lookup on its unique CRM id) and SQLite drops it where no account column is used.
        var from = $" FROM {SqlIdentifier.Quote(personTable)} {Person}" + (accountJoin ?? "");
        var where = " WHERE 1 = 1";
        if (!search.IncludeDeleted)
        {
            if (personColumns.Contains(SystemColumns.CrmIsDeleted))
                where += $" AND {Person}.\"{SystemColumns.CrmIsDeleted}\" = 0";
            if (personColumns.Contains(SystemColumns.MergedInto))
                where += $" AND {Person}.\"{SystemColumns.MergedInto}\" IS NULL";
        }
        if (search.CrmType is not null)
            where += $" AND {Person}.\"{SystemColumns.CrmType}\" = $crmType";

        string Column(string name) => personColumns.Contains(name) ? $"{Person}.\"{name}\"" : "NULL";
        var select = string.Join(", ",
            $"{Person}.\"{SystemColumns.RowId}\"", Column(SystemColumns.CrmType), Column(SystemColumns.CrmId),
            email ?? "NULL", first ?? "NULL", last ?? "NULL",
            companyValue ?? "NULL",
            Column(SystemColumns.CrmModstamp), Column(SystemColumns.CrmIsDeleted), Column(SystemColumns.MergedInto));
        return new DuplicateQueryPlan(from, where, search.CrmType, select, keys, rules);
    }

    /// <summary>How many persons are compared (before any rule drops empty keys).</summary>
    public SqliteCommand CountCommand(ReadOnlyReportConnection connection, SqliteTransaction snapshot) =>
        Bind(connection.Command($"SELECT count(*) FROM {SqlIdentifier.Quote(SyncedObjectCatalog.PersonTable)} {Person}{_where};", snapshot));

    /// <summary>
    /// The members of every group of one rule, ordered by group size (largest first), key and row id. The groups are
    /// computed first (materialised: one scan plus a temporary B-tree keyed by the normalised value), then the table is
    /// scanned once more and joined to them; CROSS JOIN keeps the person table outermost so that SQLite probes the
    /// groups through an automatic index instead of rescanning the table per group.
    /// </summary>
    public SqliteCommand GroupCommand(ReadOnlyReportConnection connection, SqliteTransaction snapshot, CrmDuplicateRule rule)
    {
        var key = _keys[rule];
        return Bind(connection.Command($"""
            WITH dup AS MATERIALIZED (
                SELECT k, count(*) AS n FROM (SELECT {key} AS k{_from}{_where}) WHERE k IS NOT NULL GROUP BY k HAVING count(*) > 1
            )
            SELECT d.k, {_selectValues}{_from} CROSS JOIN dup d{_where} AND d.k = {key}
            ORDER BY d.n DESC, d.k, {Person}."{SystemColumns.RowId}";
            """, snapshot));
    }

    private SqliteCommand Bind(SqliteCommand command) => _crmType is null ? command : command.With("$crmType", _crmType);

    /// <summary>
    /// The SQL expression for a catalogued field's column in <paramref name="table"/>: null when the catalog has no such
    /// text column there (or the column is missing from the table); several columns (the same field of Lead and Contact
    /// stored apart) are coalesced.
    /// </summary>
    private static string? ColumnExpression(IReadOnlyList<FieldCatalogEntry> catalog, string table, IReadOnlyList<string> objectNames,
        string field, IReadOnlySet<string> existing, string alias)
    {
        var columns = catalog
            .Where(e => string.Equals(e.TableName, table, StringComparison.OrdinalIgnoreCase)
                        && objectNames.Contains(e.ObjectName, StringComparer.OrdinalIgnoreCase)
                        && string.Equals(e.FieldName, field, StringComparison.OrdinalIgnoreCase)
                        && e.SqliteType == SqliteColumnType.Text
                        && existing.Contains(e.ColumnName))
            .Select(e => e.ColumnName)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(c => $"{alias}.{SqlIdentifier.Quote(c)}")
            .ToList();
        return columns.Count switch
        {
            0 => null,
            1 => columns[0],
            _ => $"coalesce({string.Join(", ", columns)})",
        };
    }
}
