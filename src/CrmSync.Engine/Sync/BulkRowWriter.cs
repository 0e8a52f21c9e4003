using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace CrmSync.Engine.Sync;

/// <summary>
/// The writer for bulk result rows (<see cref="ICrmRowReader"/>) of the initial copy and of incremental bulk reads: each
/// plain row (a live record with no identity change, a sync-filter value empty or true) is bound field by field from the CRM's UTF-8 text into one prepared
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
/// <para>
/// An incremental bulk read's rows (update mode, <c>updates: true</c>): a plain row whose id has a local row is updated by
/// the record path's own UPDATE bound from its fields, or skipped when the row holds its stamp already (see
/// <see cref="TryUpdate"/> for the rows left to the record path); a plain row of a new id is inserted as above.
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

    private readonly IPullConflictGuard? _guard;
    private readonly bool _updates;
    private readonly byte[] _stamp = new byte[Timestamp.StoredLength];

    private sqlite3_stmt? _insert;
    private bool[] _null = [];
    private sqlite3_stmt? _lookup;
    private sqlite3_stmt? _update;
    private UpdateParameters _updateAt = null!;
    private bool[] _updateNull = [];
    private SqliteConnection? _connection;
    private int _filterColumn = -1;
    private IReadOnlyList<string>? _mappedNames;
    private Column[] _columns = [];
    private int _createdColumn = -1;
    private CrmFieldType _createdType;
    private Conversion _stampConversion;
    private CrmFieldType _stampType;
    private int _keyColumn = -1;
    private readonly List<(PulledField Field, string Reason)> _misfits = [];

    /// <param name="plan">The object being written.</param>
    /// <param name="store">The profile's store.</param>
    /// <param name="records">The record path, for every row the writer does not take.</param>
    /// <param name="warnings">Where misfit values are reported.</param>
    /// <param name="guard">The pull's conflict guard (the push side), asked whether a row has local changes waiting; null: none.</param>
    /// <param name="updates">
    /// True for an incremental read's rows: a plain row whose id has a local row updates it (see <see cref="TryUpdate"/>) instead
    /// of going to the record path; false for the initial copy (insert only).
    /// </param>
    public BulkRowWriter(SyncedObjectPlan plan, CrmSyncStore store, RecordApplier records, RecordWarningLog warnings,
        IPullConflictGuard? guard = null, bool updates = false)
    {
        _guard = guard;
        _updates = updates;
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
        using var statement = Prepare(connection, InsertSql());
        _insert = statement;
        // A new statement has every parameter NULL; a parameter known to hold NULL is not bound again (bindings survive a reset).
        _null = new bool[FirstFieldParameter + _plan.Fields.Count];
        Array.Fill(_null, true);
        using var lookup = _updates ? Prepare(connection, LookupSql()) : null;
        using var update = _updates ? Prepare(connection, RecordCommand.UpdateSql(_table, _plan, _crmType is not null, keep: null)) : null;
        _lookup = lookup;
        _update = update;
        if (update is not null)
        {
            _updateAt = new UpdateParameters(update, _plan.Fields.Count);
            _updateNull = new bool[_updateAt.Count + 1];
            Array.Fill(_updateNull, true);
        }
        _connection = connection;
        _validUtf8 = rows.FieldsAreValidUtf8;
        _pinned = rows.PinnedInput;
        var now = Encoding.UTF8.GetBytes(SqliteValueConverter.FormatDateTime(_store.Time.GetUtcNow()));
        // Only a row without a CRM id can adopt a record by its client key: when the table has none, no key is looked at.
        var adoptable = _keyField is not null && AnyRowWithoutCrmId(transaction);
        while (rows.Read())
        {
            if (!ReferenceEquals(rows.FieldNames, _mappedNames))
                Map(rows);
            outcome.Records++;
            var id = rows.IdColumn >= 0 ? rows.Field(rows.IdColumn) : default;
            if (!rows.IsPlain || id.IsEmpty || !SurelySyncs(rows))
            {
                Add(outcome, _records.Apply(transaction, [rows.ToRecord()]));
                continue;
            }
            if (_updates)
            {
                var written = TryUpdate(transaction, rows, id, now);
                if (written == Written.Updated)
                {
                    outcome.Updates.Updated++;
                    continue;
                }
                if (written == Written.Unchanged)
                {
                    outcome.Updates.Skipped++;
                    continue;
                }
                if (written == Written.RecordPath)
                {
                    Add(outcome, _records.Apply(transaction, [rows.ToRecord()]));
                    continue;
                }
                // Written.NoRow: a record new to this database, inserted as the initial copy inserts it.
            }
            if ((adoptable && _keyColumn >= 0 && !rows.Field(_keyColumn).IsEmpty) || !TryInsert(transaction, rows, id, now))
                Add(outcome, _records.Apply(transaction, [rows.ToRecord()]));
            else
                outcome.Updates.New++;
        }
        return outcome;
    }

    /// <summary>What <see cref="TryUpdate"/> did with a row.</summary>
    private enum Written
    {
        /// <summary>The local row was updated from the row's fields.</summary>
        Updated,
        /// <summary>The local row already holds this modification stamp (a record applied before): nothing written.</summary>
        Unchanged,
        /// <summary>No local row has the id.</summary>
        NoRow,
        /// <summary>The row needs the record path (see <see cref="TryUpdate"/>); nothing written.</summary>
        RecordPath,
    }

    /// <summary>
    /// An incremental read's plain row whose id may have a local row: updated by the prepared UPDATE of the record path
    /// (<see cref="RecordCommand.UpdateSql"/>: the same field rules, stamps and type) bound from the row's fields, when that is
    /// what <see cref="RecordApplier"/> would do. The record path takes the row when its modification stamp is missing or
    /// not in the stored form, the local row is flagged deleted or merged (an undelete, a merge loser), has no stamp (a lead
    /// row that became its contact's, waiting for the contact's first record), has local changes waiting in the outbox (the
    /// conflict rule decides column by column), or SQLite refused the UPDATE (the record path records the failure).
    /// </summary>
    private Written TryUpdate(SqliteTransaction transaction, ICrmRowReader rows, ReadOnlySpan<byte> id, byte[] now)
    {
        if (rows.StampColumn < 0 || _stampConversion != Conversion.DateTime || !Timestamp.TryWriteStored(rows.Field(rows.StampColumn), _stamp))
            return Written.RecordPath;
        var db = _connection!.Handle!;
        var lookup = _lookup!;
        long rowId;
        try
        {
            Check(db, raw.sqlite3_bind_text(lookup, 1, id));
            var rc = raw.sqlite3_step(lookup);
            if (rc == raw.SQLITE_DONE)
                return Written.NoRow;
            if (rc != raw.SQLITE_ROW)
                throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc);
            rowId = raw.sqlite3_column_int64(lookup, 0);
            if (raw.sqlite3_column_type(lookup, 1) == raw.SQLITE_NULL || raw.sqlite3_column_int64(lookup, 2) != 0
                || raw.sqlite3_column_type(lookup, 3) != raw.SQLITE_NULL)
                return Written.RecordPath;
            if (raw.sqlite3_column_blob(lookup, 1).SequenceEqual(_stamp))
                return Written.Unchanged; // as RecordApplier: the same stamp and delete state is a record applied before
        }
        finally
        {
            raw.sqlite3_reset(lookup);
        }
        if (_guard is not null && _guard.HasWaitingChanges(transaction, _plan, rowId))
            return Written.RecordPath;

        var statement = _update!;
        var at = _updateAt;
        _misfits.Clear();
        try
        {
            Check(db, raw.sqlite3_bind_int64(statement, at.Deleted, 0));
            Check(db, raw.sqlite3_bind_text(statement, at.Stamp, _stamp));
            Check(db, _createdColumn >= 0
                ? Bind(statement, at.Created, rows.Field(_createdColumn), _createdType, _createdType == CrmFieldType.DateTime ? Conversion.DateTime : Conversion.General, created: true)
                : raw.sqlite3_bind_null(statement, at.Created));
            Check(db, raw.sqlite3_bind_text(statement, at.Now, now));
            if (_crmType is not null)
                Check(db, raw.sqlite3_bind_text(statement, at.Type, _crmType));
            Check(db, raw.sqlite3_bind_int64(statement, at.Row, rowId));
            BindFields(db, statement, at.Fields, _updateNull, rows);
            var rc = raw.sqlite3_step(statement);
            if (rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
                return Written.RecordPath; // a constraint or the like: SQLite undid the statement; the record path records the failure
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }
        ReportMisfits(transaction, id);
        return Written.Updated;
    }

    /// <summary>False when the row's sync-filter value is anything but empty or true (the record path decides: an explicit No is not written).</summary>
    private bool SurelySyncs(ICrmRowReader rows)
    {
        if (_filterColumn < 0)
            return true; // no filter field, or the row does not carry it: every record syncs
        var value = rows.Field(_filterColumn);
        return value.IsEmpty || value.SequenceEqual("true"u8);
    }

    /// <summary>The parameter indexes of the record path's UPDATE (<see cref="RecordCommand.UpdateSql"/>), by name, once per page.</summary>
    private sealed class UpdateParameters
    {
        public UpdateParameters(sqlite3_stmt statement, int fields)
        {
            int At(string name) => raw.sqlite3_bind_parameter_index(statement, name);
            Deleted = At("$deleted");
            Stamp = At("$stamp");
            Created = At("$created");
            Now = At("$now");
            Type = At("$type");
            Row = At("$row");
            Fields = new int[fields];
            for (var i = 0; i < fields; i++)
                Fields[i] = At("$p" + i.ToString(CultureInfo.InvariantCulture));
            Count = raw.sqlite3_bind_parameter_count(statement);
        }

        public int Deleted { get; }
        public int Stamp { get; }
        public int Created { get; }
        public int Now { get; }
        public int Type { get; }
        public int Row { get; }
        /// <summary>Each planned field's parameter (0: the statement leaves the column alone).</summary>
        public int[] Fields { get; }
        public int Count { get; }
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
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private bool TryInsert(SqliteTransaction transaction, ICrmRowReader rows, ReadOnlySpan<byte> id, byte[] now)
    {
        var handle = _insert!;
        // Raw pointers for the per-field calls (SqliteNative); both handles outlive this row.
        var statement = SqliteNative.Pointer(handle);
        var db = _connection!.Handle!;
        _misfits.Clear();
        try
        {
            Check(BindField(statement, IdParameter, id));
            Check(SqliteNative.BindInt64(statement, DeletedParameter, 0));
            Check(rows.StampColumn >= 0
                ? Bind(handle, StampParameter, rows.Field(rows.StampColumn), _stampType, _stampConversion, stamp: true)
                : SqliteNative.BindNull(statement, StampParameter));
            Check(_createdColumn >= 0
                ? Bind(handle, CreatedParameter, rows.Field(_createdColumn), _createdType, _createdType == CrmFieldType.DateTime ? Conversion.DateTime : Conversion.General, created: true)
                : SqliteNative.BindNull(statement, CreatedParameter));
            Check(SqliteNative.BindText(statement, NowParameter, now));
            if (_crmType is not null)
                Check(SqliteNative.BindText(statement, TypeParameter, _crmType));
            BindFields(db, handle, _insertFields ??= Enumerable.Range(FirstFieldParameter, _plan.Fields.Count).ToArray(), _null, rows);
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
        ReportMisfits(transaction, id);
        return true;

        void Check(int code) => BulkRowWriter.Check(db, code);
    }

    private int[]? _insertFields;
    private bool _validUtf8; // the page's rows are all valid UTF-8 (ICrmRowReader.FieldsAreValidUtf8): no check per text field
    private ReadOnlyMemory<byte> _pinned; // the page's pinned input (ICrmRowReader.PinnedInput): fields in it are bound without a copy

    /// <summary>
    /// Binds a field's text as it lies when it is a slice of the page's pinned input (SQLite reads it there; the statements
    /// are finalized when the page ends, before the buffer is refilled), else copied. Saves SQLite a malloc, a copy and a free
    /// per text value.
    /// </summary>
    private int BindField(IntPtr statement, int index, ReadOnlySpan<byte> text)
    {
        var pinned = _pinned.Span;
        if (!pinned.IsEmpty)
        {
            var offset = (long)System.Runtime.CompilerServices.Unsafe.ByteOffset(ref MemoryMarshal.GetReference(pinned), ref MemoryMarshal.GetReference(text));
            if (offset >= 0 && offset + text.Length <= pinned.Length)
                return SqliteNative.BindStaticText(statement, index, text);
        }
        return SqliteNative.BindText(statement, index, text);
    }

    /// <summary>Binds the planned fields of the current row to <paramref name="parameters"/> (0: not in the statement); <paramref name="isNull"/> tracks NULL bindings by index.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void BindFields(sqlite3 db, sqlite3_stmt statement, int[] parameters, bool[] isNull, ICrmRowReader rows)
    {
        for (var i = 0; i < _columns.Length; i++)
        {
            var index = parameters[i];
            if (index == 0)
                continue;
            var column = _columns[i];
            var text = column.Source < 0 ? default : rows.Field(column.Source);
            if (text.IsEmpty)
            {
                if (!isNull[index])
                {
                    Check(db, SqliteNative.BindNull(SqliteNative.Pointer(statement), index));
                    isNull[index] = true;
                }
                continue;
            }
            Check(db, Bind(statement, index, text, column.Type, column.Conversion, field: _plan.Fields[i]));
            isNull[index] = false;
        }
    }

    private void ReportMisfits(SqliteTransaction transaction, ReadOnlySpan<byte> id)
    {
        if (_misfits.Count == 0)
            return;
        var crmId = Encoding.UTF8.GetString(id);
        foreach (var (field, reason) in _misfits)
            _warnings.Report(transaction, _plan, crmId, field, reason);
    }

    private static void Check(sqlite3 db, int code)
    {
        if (code != raw.SQLITE_OK)
            throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), code);
    }

    /// <summary>Binds one field's text by its conversion; empty text is NULL (an empty bulk cell is null).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private int Bind(sqlite3_stmt statement, int index, ReadOnlySpan<byte> text, CrmFieldType type, Conversion conversion,
        PulledField? field = null, bool stamp = false, bool created = false)
    {
        var pointer = SqliteNative.Pointer(statement);
        if (text.IsEmpty)
            return SqliteNative.BindNull(pointer, index);
        switch (conversion)
        {
            case Conversion.Text when _validUtf8 || Utf8.IsValid(text):
            case Conversion.Date when IsDate(text):
                return BindField(pointer, index, text);
            case Conversion.Boolean when text.SequenceEqual("true"u8):
                return SqliteNative.BindInt64(pointer, index, 1);
            case Conversion.Boolean when text.SequenceEqual("false"u8):
                return SqliteNative.BindInt64(pointer, index, 0);
            case Conversion.WholeNumber when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole):
                return SqliteNative.BindInt64(pointer, index, whole);
            case Conversion.DecimalToReal when decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var m):
                return SqliteNative.BindDouble(pointer, index, (double)m);
            case Conversion.DecimalToNumeric when decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var m)
                                                  && SqliteValueConverter.SignificantDigits(m) <= SqliteValueConverter.NumericExactDigits:
                return m.TryFormat(Scratch(64), out var written, default, CultureInfo.InvariantCulture)
                    ? SqliteNative.BindText(pointer, index, _scratch.AsSpan(0, written))
                    : BindGeneral(statement, index, text, type, field, stamp, created);
            case Conversion.DateTime when Timestamp.TryWriteStored(text, Scratch(Timestamp.StoredLength)):
                return SqliteNative.BindText(pointer, index, _scratch.AsSpan(0, Timestamp.StoredLength));
            default:
                return BindGeneral(statement, index, text, type, field, stamp, created);
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
        _filterColumn = ColumnOf(_plan.SyncFilterField);
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

    private string InsertSql()
    {
        var columns = new List<string> { SystemColumns.CrmId, SystemColumns.CrmIsDeleted, SystemColumns.CrmModstamp, SystemColumns.CrmCreatedDate, SystemColumns.SyncedAt };
        if (_crmType is not null)
            columns.Add(SystemColumns.CrmType);
        var quoted = columns.Select(c => "\"" + c + "\"").Concat(_plan.Fields.Select(f => SqlIdentifier.Quote(f.ColumnName))).ToList();
        return $"INSERT INTO {_table} ({string.Join(", ", quoted)}) VALUES ({string.Join(", ", quoted.Select((_, i) => "?" + (i + 1).ToString(CultureInfo.InvariantCulture)))}) " +
               $"ON CONFLICT (\"{SystemColumns.CrmId}\") DO NOTHING;";
    }

    /// <summary>The local row of a CRM id: what <see cref="TryUpdate"/> needs of it (RecordApplier's lookup, one id at a time).</summary>
    private string LookupSql()
    {
        var mergedInto = _plan.HasColumn(SystemColumns.MergedInto) ? $"\"{SystemColumns.MergedInto}\"" : "NULL";
        return $"SELECT \"{SystemColumns.RowId}\", \"{SystemColumns.CrmModstamp}\", \"{SystemColumns.CrmIsDeleted}\", {mergedInto} " +
               $"FROM {_table} WHERE \"{SystemColumns.CrmId}\" = ?1;";
    }

    private static sqlite3_stmt Prepare(SqliteConnection connection, string sql)
    {
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
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
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
