using System.Globalization;
using System.Text;
using System.Text.Unicode;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace CrmSync.Engine.Sync;

/// <summary>
/// The initial copy's writer for bulk result rows (<see cref="ICrmRowReader"/>): each plain row (a live record with no
/// identity change) is bound field by field from the CRM's UTF-8 text into one prepared
/// <c>INSERT ... ON CONFLICT (_crm_id) DO NOTHING</c>, by parameter index and typed: text bound as it came, whole numbers,
/// booleans and decimals converted from the bytes, datetimes rewritten in place to the stored form. No object per value,
/// no array per record. The values stored are exactly those of the record path (<see cref="RecordApplier"/> with
/// <see cref="SqliteValueConverter"/>): a value the typed conversion does not recognise exactly (another datetime shape,
/// an exponent, invalid UTF-8, a type change) goes through the record path's conversion, misfit warning included.
/// <para>
/// Every other row goes to <see cref="RecordApplier"/> as the record the CRM adapter makes of it
/// (<see cref="ICrmRowReader.ToRecord"/>), in order: a row that is not plain (deleted, merged, converted), a row without an id,
/// a row whose id already has a local row (the INSERT changed nothing: a resumed or restarted copy, a contact a converted
/// lead became), a row carrying a client key while local rows without a CRM id exist (the push's adoption rule), and a row
/// the INSERT refused (a constraint: the record path records the failure).
/// </para>
/// Runs in the caller's page transaction, with triggers off on its connection while every trigger of the table is one the
/// sync's mark silences anyway (<see cref="SyncWriteMarker.SuspendSilencedTriggers"/>).
/// </summary>
internal sealed class BulkRowWriter
{
    private readonly SyncedObjectPlan _plan;
    private readonly CrmSyncStore _store;
    private readonly RecordApplier _records;
    private readonly RecordWarningLog _warnings;
    private readonly string _table;
    private readonly byte[]? _crmType;
    private readonly string? _keyField;
    private byte[] _scratch = new byte[64];

    private sqlite3_stmt? _insert;
    private bool[] _null = [];
    private SqliteConnection? _connection;
    private IReadOnlyList<string>? _mappedNames;
    private Column[] _columns = [];
    private int _createdColumn = -1;
    private CrmFieldType _createdType;
    private Conversion _stampConversion;
    private CrmFieldType _stampType;
    private int _keyColumn = -1;
    private readonly List<(PulledField Field, string Reason)> _misfits = [];

    public BulkRowWriter(SyncedObjectPlan plan, CrmSyncStore store, RecordApplier records, RecordWarningLog warnings)
    {
        _plan = plan;
        _store = store;
        _records = records;
        _warnings = warnings;
        _table = SqlIdentifier.Quote(plan.TableName);
        _crmType = records.CrmType is { } type ? Encoding.UTF8.GetBytes(type) : null;
        _keyField = records.KeyField;
    }

    /// <summary>How one CRM field's text becomes its column's value.</summary>
    private enum Conversion
    {
        /// <summary>The record path's conversion (<see cref="CrmValueConverter.FromText"/> then <see cref="SqliteValueConverter.ToStorage"/>).</summary>
        General,
        /// <summary>Text into a TEXT column: bound as it came.</summary>
        Text,
        /// <summary>A boolean into an INTEGER column: 1 or 0.</summary>
        Boolean,
        /// <summary>A whole number into an INTEGER or NUMERIC column.</summary>
        WholeNumber,
        /// <summary>A decimal into a REAL column: the decimal, then a double (as the record path converts it).</summary>
        DecimalToReal,
        /// <summary>A decimal into a NUMERIC column: its invariant text when it has at most 15 significant digits.</summary>
        DecimalToNumeric,
        /// <summary>A date into a TEXT column: yyyy-MM-dd as it came.</summary>
        Date,
        /// <summary>A datetime into a TEXT column: yyyy-MM-ddTHH:mm:ss.fffZ.</summary>
        DateTime,
    }

    /// <summary>One planned field: its CSV column (-1: not in the results, NULL) and its conversion.</summary>
    private readonly record struct Column(int Source, CrmFieldType Type, Conversion Conversion);

    // Parameter indexes of the INSERT (1-based, in this order; the planned fields follow).
    private const int IdParameter = 1, DeletedParameter = 2, StampParameter = 3, CreatedParameter = 4, NowParameter = 5, TypeParameter = 6;
    private int FirstFieldParameter => _crmType is null ? 6 : 7;

    /// <summary>Applies every row of <paramref name="rows"/> in <paramref name="transaction"/>; nothing is committed here.</summary>
    public PageOutcome Apply(SqliteTransaction transaction, ICrmRowReader rows)
    {
        var outcome = new PageOutcome();
        if (!SqliteNative.Available)
        {
            // The raw calls cannot reach SQLitePCLRaw's library in this process: every row by the record path (same result).
            while (rows.Read())
            {
                outcome.Records++;
                Add(outcome, _records.Apply(transaction, [rows.ToRecord()]));
            }
            return outcome;
        }
        var connection = transaction.Connection!;
        // The capture triggers do nothing for the sync's marked writes: off on this connection for the page, so no row pays for
        // their programs and the statement journal a statement with triggers keeps (other connections keep capturing).
        using var triggersOff = SyncWriteMarker.SuspendSilencedTriggers(transaction, _plan.TableName);
        // Prepared once per page on the page transaction's connection, finalized with it.
        using var statement = Prepare(connection);
        _insert = statement;
        // A new statement has every parameter NULL; a parameter known to hold NULL is not bound again (bindings survive a reset).
        _null = new bool[FirstFieldParameter + _plan.Fields.Count];
        Array.Fill(_null, true);
        _connection = connection;
        var now = Encoding.UTF8.GetBytes(SqliteValueConverter.FormatDateTime(_store.Time.GetUtcNow()));
        // Only a row without a CRM id can adopt a record by its client key: when the table has none, no key is looked at.
        var adoptable = _keyField is not null && AnyRowWithoutCrmId(transaction);
        while (rows.Read())
        {
            if (!ReferenceEquals(rows.FieldNames, _mappedNames))
                Map(rows);
            outcome.Records++;
            var id = rows.IdColumn >= 0 ? rows.Field(rows.IdColumn) : default;
            if (!rows.IsPlain || id.IsEmpty || (adoptable && _keyColumn >= 0 && !rows.Field(_keyColumn).IsEmpty) || !TryInsert(transaction, rows, id, now))
                Add(outcome, _records.Apply(transaction, [rows.ToRecord()]));
            else
                outcome.Updates.New++;
        }
        return outcome;
    }

    private static void Add(PageOutcome total, PageOutcome one)
    {
        static void Sum(ref OperationTally into, OperationTally add)
        {
            into.New += add.New;
            into.Updated += add.Updated;
            into.Deleted += add.Deleted;
            into.Failed += add.Failed;
            into.Skipped += add.Skipped;
        }
        Sum(ref total.Updates, one.Updates);
        Sum(ref total.Deletes, one.Deletes);
        Sum(ref total.Conversions, one.Conversions);
    }

    /// <summary>Inserts the current row; false when it changed nothing (its id has a row) or SQLite refused it (the statement was undone).</summary>
    private bool TryInsert(SqliteTransaction transaction, ICrmRowReader rows, ReadOnlySpan<byte> id, byte[] now)
    {
        // Raw pointers for the per-field calls (SqliteNative); both handles outlive this row.
        var statement = SqliteNative.Pointer(_insert!);
        var db = _connection!.Handle!;
        _misfits.Clear();
        try
        {
            Check(SqliteNative.BindText(statement, IdParameter, id));
            Check(SqliteNative.BindInt64(statement, DeletedParameter, 0));
            Check(rows.StampColumn >= 0
                ? Bind(statement, StampParameter, rows.Field(rows.StampColumn), _stampType, _stampConversion, stamp: true)
                : SqliteNative.BindNull(statement, StampParameter));
            Check(_createdColumn >= 0
                ? Bind(statement, CreatedParameter, rows.Field(_createdColumn), _createdType, _createdType == CrmFieldType.DateTime ? Conversion.DateTime : Conversion.General, created: true)
                : SqliteNative.BindNull(statement, CreatedParameter));
            Check(SqliteNative.BindText(statement, NowParameter, now));
            if (_crmType is not null)
                Check(SqliteNative.BindText(statement, TypeParameter, _crmType));
            var first = FirstFieldParameter;
            for (var i = 0; i < _columns.Length; i++)
            {
                var column = _columns[i];
                var text = column.Source < 0 ? default : rows.Field(column.Source);
                if (text.IsEmpty)
                {
                    if (!_null[first + i])
                    {
                        Check(SqliteNative.BindNull(statement, first + i));
                        _null[first + i] = true;
                    }
                    continue;
                }
                Check(Bind(statement, first + i, text, column.Type, column.Conversion, field: _plan.Fields[i]));
                _null[first + i] = false;
            }
            var rc = SqliteNative.Step(statement);
            if (rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
                return false; // a constraint or the like: the record path applies it again and records the failure
            if (SqliteNative.Changes(SqliteNative.Pointer(db)) == 0)
                return false; // the id has a row already
        }
        finally
        {
            SqliteNative.Reset(statement);
        }
        if (_misfits.Count > 0)
        {
            var crmId = Encoding.UTF8.GetString(id);
            foreach (var (field, reason) in _misfits)
                _warnings.Report(transaction, _plan, crmId, field, reason);
        }
        return true;

        void Check(int code)
        {
            if (code != raw.SQLITE_OK)
                throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), code);
        }
    }

    /// <summary>Binds one field's text by its conversion; empty text is NULL (an empty bulk cell is null).</summary>
    private int Bind(IntPtr statement, int index, ReadOnlySpan<byte> text, CrmFieldType type, Conversion conversion,
        PulledField? field = null, bool stamp = false, bool created = false)
    {
        if (text.IsEmpty)
            return SqliteNative.BindNull(statement, index);
        switch (conversion)
        {
            case Conversion.Text when Utf8.IsValid(text):
            case Conversion.Date when IsDate(text):
                return SqliteNative.BindText(statement, index, text);
            case Conversion.Boolean when text.SequenceEqual("true"u8):
                return SqliteNative.BindInt64(statement, index, 1);
            case Conversion.Boolean when text.SequenceEqual("false"u8):
                return SqliteNative.BindInt64(statement, index, 0);
            case Conversion.WholeNumber when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole):
                return SqliteNative.BindInt64(statement, index, whole);
            case Conversion.DecimalToReal when decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var m):
                return SqliteNative.BindDouble(statement, index, (double)m);
            case Conversion.DecimalToNumeric when decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var m)
                                                  && SqliteValueConverter.SignificantDigits(m) <= SqliteValueConverter.NumericExactDigits:
                return m.TryFormat(Scratch(64), out var written, default, CultureInfo.InvariantCulture)
                    ? SqliteNative.BindText(statement, index, _scratch.AsSpan(0, written))
                    : BindGeneral(_insert!, index, text, type, field, stamp, created);
            case Conversion.DateTime when Timestamp.TryWriteStored(text, Scratch(Timestamp.StoredLength)):
                return SqliteNative.BindText(statement, index, _scratch.AsSpan(0, Timestamp.StoredLength));
            default:
                return BindGeneral(_insert!, index, text, type, field, stamp, created);
        }
    }

    /// <summary>The record path's conversion of one value, for the rare text the typed conversions do not take as it is.</summary>
    private int BindGeneral(sqlite3_stmt statement, int index, ReadOnlySpan<byte> text, CrmFieldType type, PulledField? field, bool stamp, bool created)
    {
        var value = CrmValueConverter.FromText(Encoding.UTF8.GetString(text), type);
        object stored;
        if (stamp)
        {
            // As the record's modification stamp: a datetime (or datetime text), formatted as the store keeps it.
            DateTimeOffset? at = value switch
            {
                DateTimeOffset d => d,
                string s when s.Length > 0 => CrmValueConverter.ParseDateTime(s),
                _ => null,
            };
            stored = at is { } a ? SqliteValueConverter.FormatDateTime(a) : DBNull.Value;
        }
        else if (created || field is null)
            stored = value is null ? DBNull.Value : SqliteValueConverter.ToStorage(value, SqliteColumnType.Text, out _);
        else
        {
            stored = SqliteValueConverter.ToStorage(value, field.ColumnType, out var misfit);
            if (misfit is not null)
                _misfits.Add((field, misfit));
        }
        return stored switch
        {
            DBNull => raw.sqlite3_bind_null(statement, index),
            string { Length: 0 } => raw.sqlite3_bind_text(statement, index, string.Empty),
            string s => raw.sqlite3_bind_text16(statement, index, s.AsSpan()),
            long l => raw.sqlite3_bind_int64(statement, index, l),
            double d => double.IsNaN(d) ? raw.sqlite3_bind_null(statement, index) : raw.sqlite3_bind_double(statement, index, d),
            byte[] bytes => raw.sqlite3_bind_blob(statement, index, bytes),
            _ => throw new ArgumentException($"A value of type {stored.GetType().Name} cannot be bound."),
        };
    }

    private Span<byte> Scratch(int length)
    {
        if (_scratch.Length < length)
            _scratch = new byte[length];
        return _scratch;
    }

    /// <summary>yyyy-MM-dd of a valid date: what DateOnly reads and writes back unchanged.</summary>
    private static bool IsDate(ReadOnlySpan<byte> text) =>
        text.Length == 10 && text[4] == '-' && text[7] == '-'
        && Timestamp.Number(text, 0, 4, out var year) && Timestamp.Number(text, 5, 2, out var month) && Timestamp.Number(text, 8, 2, out var day)
        && year >= 1 && month is >= 1 and <= 12 && day >= 1 && day <= System.DateTime.DaysInMonth(year, month);

    /// <summary>Maps the planned fields to the columns of a chunk's rows (once per chunk layout).</summary>
    private void Map(ICrmRowReader rows)
    {
        var names = rows.FieldNames;
        var types = rows.FieldTypes;
        int ColumnOf(string? field)
        {
            if (field is null) return -1;
            for (var c = 0; c < names.Count; c++)
                if (string.Equals(names[c], field, StringComparison.OrdinalIgnoreCase))
                    return c;
            return -1;
        }
        _columns = new Column[_plan.Fields.Count];
        for (var i = 0; i < _columns.Length; i++)
        {
            var field = _plan.Fields[i];
            var source = ColumnOf(field.FieldName);
            var type = source >= 0 ? types[source] : CrmFieldType.String;
            _columns[i] = new Column(source, type, ConversionOf(type, field.ColumnType));
        }
        _createdColumn = ColumnOf(_plan.CreatedDateField);
        _createdType = _createdColumn >= 0 ? types[_createdColumn] : CrmFieldType.String;
        _stampType = rows.StampColumn >= 0 ? types[rows.StampColumn] : CrmFieldType.String;
        _stampConversion = _stampType == CrmFieldType.DateTime ? Conversion.DateTime : Conversion.General;
        _keyColumn = ColumnOf(_keyField);
        _mappedNames = names;
    }

    private static Conversion ConversionOf(CrmFieldType type, SqliteColumnType column) => (type, column) switch
    {
        (CrmFieldType.Boolean, SqliteColumnType.Integer) => Conversion.Boolean,
        (CrmFieldType.Integer or CrmFieldType.Long, SqliteColumnType.Integer or SqliteColumnType.Numeric) => Conversion.WholeNumber,
        (CrmFieldType.Double or CrmFieldType.Currency or CrmFieldType.Percent, SqliteColumnType.Real) => Conversion.DecimalToReal,
        (CrmFieldType.Double or CrmFieldType.Currency or CrmFieldType.Percent, SqliteColumnType.Numeric) => Conversion.DecimalToNumeric,
        (CrmFieldType.Date, SqliteColumnType.Text) => Conversion.Date,
        (CrmFieldType.DateTime, SqliteColumnType.Text) => Conversion.DateTime,
        (CrmFieldType.Boolean or CrmFieldType.Integer or CrmFieldType.Long or CrmFieldType.Double or CrmFieldType.Currency or CrmFieldType.Percent
            or CrmFieldType.Date or CrmFieldType.DateTime or CrmFieldType.Time, _) => Conversion.General,
        (_, SqliteColumnType.Text) => Conversion.Text,
        _ => Conversion.General,
    };

    private sqlite3_stmt Prepare(SqliteConnection connection)
    {
        var columns = new List<string> { SystemColumns.CrmId, SystemColumns.CrmIsDeleted, SystemColumns.CrmModstamp, SystemColumns.CrmCreatedDate, SystemColumns.SyncedAt };
        if (_crmType is not null)
            columns.Add(SystemColumns.CrmType);
        var quoted = columns.Select(c => "\"" + c + "\"").Concat(_plan.Fields.Select(f => SqlIdentifier.Quote(f.ColumnName))).ToList();
        var sql = $"INSERT INTO {_table} ({string.Join(", ", quoted)}) VALUES ({string.Join(", ", quoted.Select((_, i) => "?" + (i + 1).ToString(CultureInfo.InvariantCulture)))}) " +
                  $"ON CONFLICT (\"{SystemColumns.CrmId}\") DO NOTHING;";
        var rc = raw.sqlite3_prepare_v2(connection.Handle!, sql, out var statement);
        if (rc != raw.SQLITE_OK)
        {
            statement?.Dispose();
            throw new SqliteException(raw.sqlite3_errmsg(connection.Handle).utf8_to_string(), rc);
        }
        return statement;
    }

    private bool AnyRowWithoutCrmId(SqliteTransaction transaction)
    {
        using var command = transaction.Connection!.Command(transaction, $"SELECT EXISTS (SELECT 1 FROM {_table} WHERE \"{SystemColumns.CrmId}\" IS NULL);");
        return command.ExecuteScalar() is long n && n != 0;
    }

}

/// <summary>The CRM's UTC datetime text rewritten as the store keeps it, without a DateTimeOffset in between.</summary>
internal static class Timestamp
{
    /// <summary>The length of <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>.</summary>
    public const int StoredLength = 24;

    /// <summary>
    /// Writes <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> for the two shapes every CRM datetime of the bulk results has
    /// (<c>…fff+0000</c>, <c>…fffZ</c>), exactly what <see cref="CrmValueConverter.ParseDateTime"/> followed by
    /// <see cref="SqliteValueConverter.FormatDateTime"/> gives; false for anything else (left to them).
    /// </summary>
    public static bool TryWriteStored(ReadOnlySpan<byte> text, Span<byte> target)
    {
        var utc = text.Length == 28 && text.EndsWith("+0000"u8) || text.Length == 24 && text[23] == 'Z';
        if (!utc || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[19] != '.')
            return false;
        if (!Number(text, 0, 4, out var year) || !Number(text, 5, 2, out var month) || !Number(text, 8, 2, out var day)
            || !Number(text, 11, 2, out var hour) || !Number(text, 14, 2, out var minute) || !Number(text, 17, 2, out var second)
            || !Number(text, 20, 3, out _))
            return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        text[..23].CopyTo(target);
        target[23] = (byte)'Z';
        return true;
    }

    internal static bool Number(ReadOnlySpan<byte> text, int start, int length, out int value)
    {
        value = 0;
        for (var i = start; i < start + length; i++)
        {
            var digit = text[i] - '0';
            if ((uint)digit > 9) return false;
            value = value * 10 + digit;
        }
        return true;
    }
}
