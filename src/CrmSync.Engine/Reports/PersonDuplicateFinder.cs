using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Reports;

/// <summary>What <see cref="PersonDuplicateFinder"/> looks for.</summary>
public sealed record DuplicateSearch
{
    /// <summary>Which rules to apply.</summary>
    public CrmDuplicateRuleSelection Rule { get; init; } = CrmDuplicateRuleSelection.All;
    /// <summary>Also compare persons deleted in the CRM (<c>_crm_is_deleted = 1</c>) and persons merged into another one (<c>_merged_into</c> set).</summary>
    public bool IncludeDeleted { get; init; }
    /// <summary>Only compare persons of this CRM type (Lead or Contact); null compares all persons with each other.</summary>
    public string? CrmType { get; init; }
}

/// <summary>How far a duplicate scan is: <see cref="RowsChecked"/> of about <see cref="RowsToCheck"/> row checks.</summary>
/// <param name="Phase">What is being done, e.g. "Grouping persons by e-mail".</param>
/// <param name="RowsChecked">Person rows looked at so far (each rule reads the table twice: once to group, once to list the members).</param>
/// <param name="RowsToCheck">The estimated total of row checks.</param>
/// <param name="Persons">How many persons are compared.</param>
public sealed record DuplicateScanProgress(string Phase, long RowsChecked, long RowsToCheck, long Persons);

/// <summary>
/// The read-only duplicate report over the local <c>person</c> table (Find-CrmDuplicate). It never merges and never
/// writes: it reads through a connection opened in SQLite's read-only mode with <c>query_only</c>, in one snapshot.
/// <para>Rules. <b>Email</b>: persons whose e-mail addresses are equal once trimmed, with runs of white space
/// collapsed and compared case-insensitively (Unicode invariant lower case); empty addresses never match.
/// <b>NameAndCompany</b>: persons whose first name + last name and company are equal after the same normalisation;
/// a person without a last name or without a company is not compared. The company of a Contact is its Account's name
/// (person.AccountId → account.Name) when the account is known locally, else the person's own Company value (e.g. kept
/// from the lead it was converted from); for a Lead or a local person it is the Company value, else the Account's name.
/// When neither is available for a person, that person is skipped by this rule. A pair of persons may appear under
/// both rules.</para>
/// <para>Scale: the grouping runs in SQL (GROUP BY … HAVING count(*) &gt; 1 over a temporary B-tree, then one more
/// scan joined to the groups), so memory grows with the number of duplicate persons, not with the table, and groups
/// are streamed largest first. Column names come only from the field catalog and <see cref="SystemColumns"/>; a rule
/// whose columns are missing (fields excluded from Sync-CrmField) is skipped with a warning.</para>
/// </summary>
public sealed class PersonDuplicateFinder
{
    /// <summary>How many row checks pass between two progress reports.</summary>
    internal const int ProgressStep = 16_384;

    private const string FoldFunction = "crmsync_fold";
    private const string PersonKeyFunction = "crmsync_person_key";

    private readonly CrmSyncStore _store;
    private readonly string _profile;

    /// <summary>A finder over the person table of <paramref name="store"/>, the database of profile <paramref name="profile"/>.</summary>
    public PersonDuplicateFinder(CrmSyncStore store, string profile)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        ArgumentException.ThrowIfNullOrWhiteSpace(profile);
        _profile = profile;
    }

    /// <summary>
    /// The duplicate groups, largest first (ties: e-mail groups first, then by key). Lazy: the scan starts when the
    /// first group is asked for; warnings (a rule skipped or narrowed) are reported through <paramref name="warn"/>
    /// before the first group. Throws <see cref="ErrorIds.FieldsNotSynced"/> when the profile has no person table yet,
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> is cancelled (also mid-query).
    /// </summary>
    public IEnumerable<CrmDuplicateGroup> Find(DuplicateSearch search, Action<string>? warn, IProgress<DuplicateScanProgress>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(search);
        if (!Enum.IsDefined(search.Rule))
            throw new ArgumentOutOfRangeException(nameof(search), search.Rule, "Unknown duplicate rule selection.");
        return FindCore(search, warn ?? (_ => { }), progress, cancellationToken);
    }

    /// <summary>
    /// The normalised form used by both rules: white space trimmed and every run of it inside collapsed to one space,
    /// then lower-cased with the invariant culture. Null for null, empty or white-space-only text.
    /// </summary>
    public static string? Normalize(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        var builder = new StringBuilder(value.Length);
        var pendingSpace = false;
        foreach (var c in value.AsSpan().Trim())
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = true;
                continue;
            }
            if (pendingSpace)
                builder.Append(' ');
            pendingSpace = false;
            builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }

    /// <summary>The name-and-company key <c>first last|company</c>; null when the last name or the company is empty.</summary>
    public static string? PersonKey(string? firstName, string? lastName, string? company)
    {
        var last = Normalize(lastName);
        var firm = Normalize(company);
        if (last is null || firm is null)
            return null;
        var first = Normalize(firstName);
        return (first is null ? last : first + " " + last) + "|" + firm;
    }

    private IEnumerable<CrmDuplicateGroup> FindCore(DuplicateSearch search, Action<string> warn, IProgress<DuplicateScanProgress>? progress,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var profile = _store.Profile.Read() ?? throw new CrmSyncException(ErrorIds.ProfileNotFound, ErrorKind.ObjectNotFound,
            $"The database {_store.DatabasePath} holds no CrmSync profile.", $"Run {ShellAction.Connect} to create the profile.", _store.DatabasePath);
        var fieldNames = CrmProviders.For(profile.Crm).DuplicateFields ?? throw new CrmSyncException(ErrorIds.CrmNotSupported, ErrorKind.InvalidOperation,
            $"{ShellAction.Duplicates} does not know the person fields of {profile.Crm} in this version of CrmSync.",
            "Use a Salesforce profile, or update CrmSync.", profile.Crm.ToString());
        var objects = SyncedObjectCatalog.For(profile.Crm);
        var catalog = _store.FieldCatalog.List();

        using var connection = ReadOnlyReportConnection.Open(_store, cancellationToken);
        var meter = new ScanMeter(progress, connection.Connection);
        connection.Connection.CreateFunction<string?, string?>(FoldFunction, value =>
        {
            meter.Tick();
            return Normalize(value);
        }, isDeterministic: true);
        connection.Connection.CreateFunction<string?, string?, string?, string?>(PersonKeyFunction, (first, last, company) =>
        {
            meter.Tick();
            return PersonKey(first, last, company);
        }, isDeterministic: true);

        using var snapshot = connection.BeginSnapshot();
        var personColumns = connection.ReadColumns(SyncedObjectCatalog.PersonTable, snapshot);
        if (personColumns.Count == 0)
            throw new CrmSyncException(ErrorIds.FieldsNotSynced, ErrorKind.InvalidOperation,
                $"Profile '{_profile}' has no person table yet, so there are no persons to compare.",
                $"Run {ShellAction.SyncFields} to create the fields, then {ShellAction.Start} to copy the persons.", _profile);

        var plan = DuplicateQueryPlan.Build(search, fieldNames, objects, catalog, personColumns,
            table => connection.ReadColumns(table, snapshot), warn);
        if (plan.Rules.Count == 0)
            yield break;

        long rows;
        using (var count = plan.CountCommand(connection, snapshot))
            rows = (long)connection.ExecuteScalar(count)!;
        meter.Expect(rows, rows * 2 * plan.Rules.Count);

        var commands = new List<SqliteCommand>();
        var readers = new List<SqliteDataReader>();
        try
        {
            var streams = new List<IEnumerator<CrmDuplicateGroup>>();
            foreach (var rule in plan.Rules)
            {
                var command = plan.GroupCommand(connection, snapshot, rule);
                commands.Add(command);
                meter.Phase = rule == CrmDuplicateRule.Email ? "Grouping persons by e-mail" : "Grouping persons by name and company";
                var reader = meter.Guard(() => connection.ExecuteReader(command));
                readers.Add(reader);
                var stream = ReadGroups(connection, reader, rule, meter).GetEnumerator();
                streams.Add(stream);
                // The first MoveNext runs the whole grouping (the ORDER BY needs every group); do it now, rule by rule.
                if (!meter.Guard(stream.MoveNext))
                {
                    stream.Dispose();
                    streams.RemoveAt(streams.Count - 1);
                }
            }
            meter.Phase = "Listing duplicate groups";

            // Merge the per-rule streams, each already largest first.
            while (streams.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var next = 0;
                for (var i = 1; i < streams.Count; i++)
                    if (streams[i].Current.Count > streams[next].Current.Count)
                        next = i;
                yield return streams[next].Current;
                if (!meter.Guard(streams[next].MoveNext))
                {
                    streams[next].Dispose();
                    streams.RemoveAt(next);
                }
            }
        }
        finally
        {
            foreach (var reader in readers)
                reader.Dispose();
            foreach (var command in commands)
                command.Dispose();
        }
    }

    private IEnumerable<CrmDuplicateGroup> ReadGroups(ReadOnlyReportConnection connection, SqliteDataReader reader, CrmDuplicateRule rule, ScanMeter meter)
    {
        string? key = null;
        var members = new List<CrmDuplicateMember>();
        while (meter.Guard(() => connection.Read(reader)))
        {
            var rowKey = reader.GetString(0);
            if (key is not null && !string.Equals(rowKey, key, StringComparison.Ordinal))
            {
                yield return new CrmDuplicateGroup { Profile = _profile, Rule = rule, Key = key, Members = members };
                members = [];
            }
            key = rowKey;
            members.Add(new CrmDuplicateMember
            {
                RowId = reader.GetInt64(1),
                CrmType = reader.NullableString(2),
                CrmId = reader.NullableString(3),
                Email = Text(reader, 4),
                FirstName = Text(reader, 5),
                LastName = Text(reader, 6),
                Company = Text(reader, 7),
                CrmModifiedAt = Stamp(reader, 8),
                IsDeletedInCrm = !reader.IsDBNull(9) && reader.GetInt64(9) != 0,
                MergedInto = reader.NullableString(10),
            });
        }
        if (key is not null)
            yield return new CrmDuplicateGroup { Profile = _profile, Rule = rule, Key = key, Members = members };
    }

    private static string? Text(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : Convert.ToString(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    private static DateTimeOffset? Stamp(SqliteDataReader reader, int ordinal) =>
        !reader.IsDBNull(ordinal) && DateTimeOffset.TryParse(reader.GetString(ordinal), CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value
            : null;

    /// <summary>
    /// Counts row checks made by the SQL functions and reports progress every <see cref="ProgressStep"/> of them. An
    /// exception thrown by the progress sink inside SQLite is kept, the statement interrupted, and the exception
    /// rethrown by <see cref="Guard{T}"/> once the statement has returned.
    /// </summary>
    private sealed class ScanMeter(IProgress<DuplicateScanProgress>? progress, SqliteConnection connection)
    {
        private long _checks;
        private long _expected = 1;
        private long _persons;
        private ExceptionDispatchInfo? _failure;

        public string Phase { get; set; } = "Reading persons";

        public void Expect(long persons, long checks)
        {
            _persons = persons;
            _expected = Math.Max(1, checks);
        }

        public void Tick()
        {
            if (++_checks % ProgressStep != 0 || progress is null || _failure is not null)
                return;
            try
            {
                progress.Report(new DuplicateScanProgress(Phase, _checks, Math.Max(_expected, _checks), _persons));
            }
            catch (Exception e)
            {
                _failure = ExceptionDispatchInfo.Capture(e);
                SQLitePCL.raw.sqlite3_interrupt(connection.Handle);
            }
        }

        public T Guard<T>(Func<T> work)
        {
            try
            {
                var result = work();
                _failure?.Throw();
                return result;
            }
            catch (Exception) when (_failure is not null)
            {
                _failure.Throw();
                throw;
            }
        }
    }
}
