using CsvHelper;

namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>
/// One Bulk API 2.0 results chunk as rows of UTF-8 fields (CsvHelper's spans: quotes removed, "" unescaped, no string per
/// cell). <see cref="ToRecord"/> builds the <see cref="CrmRecord"/> of the current row exactly as the record path always
/// did (values by <see cref="CrmValueConverter.FromText"/>, one array per record laid out by one layout per chunk).
/// </summary>
internal sealed class SalesforceBulkRows : ICrmRowReader, IDisposable
{
    private static readonly byte[] False = "false"u8.ToArray();

    private readonly CsvReader _csv;
    private readonly CrmObjectSchema? _schema;
    private readonly string _objectName;
    private CrmRecordLayout? _layout;
    private int[] _slots = [];
    private CrmFieldType[] _types = [];
    private string[] _names = [];
    private int _idSlot = -1, _stampSlot = -1, _deletedSlot = -1, _masterSlot = -1, _convertedSlot = -1, _convertedContactSlot = -1;
    private int _deletedColumn = -1, _convertedColumn = -1;

    /// <param name="utf8">The chunk's CSV.</param>
    /// <param name="schema">The object's schema (field names and types), when known.</param>
    /// <param name="objectName">The object, when <paramref name="schema"/> is null.</param>
    public SalesforceBulkRows(Stream utf8, CrmObjectSchema? schema, string objectName)
        : this(CsvReader.Create(utf8, Options, leaveOpen: true), schema, objectName, validUtf8: false, pinned: default)
    {
    }

    /// <summary>The rows of a downloaded chunk, parsed in place in its buffer (no copy into the parser's), vouched for as valid UTF-8 when the chunk is (<see cref="FieldsAreValidUtf8"/>).</summary>
    /// <param name="chunk">The chunk; it must not be refilled while these rows are read.</param>
    /// <param name="schema">The object's schema (field names and types), when known.</param>
    /// <param name="objectName">The object, when <paramref name="schema"/> is null.</param>
    public SalesforceBulkRows(SalesforceBulkChunk chunk, CrmObjectSchema? schema, string objectName)
        : this(CsvReader.Create(chunk.Memory, Options), schema, objectName, chunk.IsValidUtf8, chunk.Memory)
    {
    }

    private static CsvReaderOptions Options => new()
    {
        Separator = ',',
        HasHeader = true,
        IncludeValuesInExceptions = false,
        MalformedData = CsvMalformedDataHandling.Throw,
    };

    private SalesforceBulkRows(CsvReader csv, CrmObjectSchema? schema, string objectName, bool validUtf8, ReadOnlyMemory<byte> pinned)
    {
        FieldsAreValidUtf8 = validUtf8;
        PinnedInput = pinned;
        _csv = csv;
        _schema = schema;
        _objectName = schema?.Name ?? objectName;
    }

    public IReadOnlyList<string> FieldNames => _names;

    public IReadOnlyList<CrmFieldType> FieldTypes => _types;

    public int IdColumn { get; private set; } = -1;

    public int StampColumn { get; private set; } = -1;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public bool Read()
    {
        if (!_csv.Read())
            return false;
        if (_layout is null)
            MapHeader();
        return true;
    }

    private void MapHeader()
    {
        var headers = _csv.Headers.Select(h => (Name: _schema?.FindField(h)?.Name ?? h, Type: _schema?.FindField(h)?.Type ?? CrmFieldType.String)).ToArray();
        _layout = new CrmRecordLayout(headers.Select(h => h.Name));
        _names = headers.Select(h => h.Name).ToArray();
        _slots = headers.Select(h => _layout.SlotOf(h.Name)).ToArray();
        _types = headers.Select(h => h.Type).ToArray();
        _idSlot = _layout.SlotOf("Id");
        _stampSlot = _layout.SlotOf(_schema?.ModificationStampField ?? "SystemModstamp");
        _deletedSlot = _layout.SlotOf("IsDeleted");
        _masterSlot = _layout.SlotOf("MasterRecordId");
        _convertedSlot = _layout.SlotOf("IsConverted");
        _convertedContactSlot = _layout.SlotOf("ConvertedContactId");
        int ColumnOf(int slot) => slot < 0 ? -1 : Array.IndexOf(_slots, slot);
        IdColumn = ColumnOf(_idSlot);
        StampColumn = ColumnOf(_stampSlot);
        _deletedColumn = ColumnOf(_deletedSlot);
        _convertedColumn = ColumnOf(_convertedSlot);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public ReadOnlySpan<byte> Field(int column) => column < _csv.FieldCount ? _csv.GetSpan(column) : default;

    /// <inheritdoc />
    /// <remarks>
    /// A field is a piece of the input cut at ASCII delimiters, quotes and line ends, with "" made one quote: when the input
    /// is valid UTF-8, so is each field.
    /// </remarks>
    public bool FieldsAreValidUtf8 { get; }

    /// <inheritdoc />
    /// <remarks>The chunk's buffer (pinned, <see cref="SalesforceBulkChunk"/>), read in place: a field without "" is a slice of it.</remarks>
    public ReadOnlyMemory<byte> PinnedInput { get; }

    public bool IsPlain
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        get => IsFalse(_deletedColumn) && IsFalse(_convertedColumn);
    }

    private bool IsFalse(int column)
    {
        if (column < 0)
            return true;
        var value = Field(column);
        return value.IsEmpty || value.SequenceEqual(False);
    }

    public CrmRecord ToRecord()
    {
        var layout = _layout ?? throw new InvalidOperationException("No row has been read.");
        var values = new object?[layout.Names.Count];
        for (var i = 0; i < _slots.Length; i++)
            values[_slots[i]] = CrmValueConverter.FromText(i < _csv.FieldCount ? _csv.GetString(i) : null, _types[i]);
        var id = _idSlot >= 0 ? values[_idSlot] as string : null;
        var stamp = (_stampSlot >= 0 ? values[_stampSlot] : null) switch
        {
            DateTimeOffset d => d,
            string s when s.Length > 0 => CrmValueConverter.ParseDateTime(s),
            _ => (DateTimeOffset?)null,
        };
        var deleted = _deletedSlot >= 0 && values[_deletedSlot] is true;
        var merged = deleted && _masterSlot >= 0 ? values[_masterSlot] as string : null;
        return new CrmRecord(_objectName, id ?? "", stamp, deleted, merged, new CrmRecordValues(layout, values))
        {
            ConvertedIntoId = SalesforceJson.ConvertedInto(_convertedSlot >= 0 ? values[_convertedSlot] : null,
                _convertedContactSlot >= 0 ? values[_convertedContactSlot] : null),
        };
    }

    public void Dispose() => _csv.Dispose();
}

/// <summary>
/// The chunk buffers of one client's bulk reads, handed from one read to the next (<see cref="Rent"/>, <see cref="Return"/>),
/// so the copies of a cycle's objects share the same two buffers, already grown to a chunk's size, instead of each read
/// growing two of its own: pinned buffers are only reclaimed by a full collection, so each object's copy used to leave
/// up to 2 x 15 MB behind (its buffers and their grown-out predecessors) to the next, and the peak memory of a first copy
/// grew with the number of chunks between two full collections. Keeps at most <see cref="Capacity"/> idle buffers.
/// </summary>
internal sealed class SalesforceBulkChunkPool
{
    /// <summary>Idle buffers kept: the two a bulk read takes turns with.</summary>
    public const int Capacity = 2;

    private readonly Stack<SalesforceBulkChunk> _idle = new();

    /// <summary>An idle buffer, or a new one when none is idle (two reads at once each get their own).</summary>
    public SalesforceBulkChunk Rent()
    {
        lock (_idle)
            return _idle.TryPop(out var chunk) ? chunk : new SalesforceBulkChunk();
    }

    /// <summary>Gives back a buffer nothing reads or fills any more (beyond <see cref="Capacity"/> idle ones it is dropped).</summary>
    public void Return(SalesforceBulkChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        lock (_idle)
            if (_idle.Count < Capacity && !_idle.Contains(chunk))
                _idle.Push(chunk);
    }

    /// <summary>Idle buffers now (for tests).</summary>
    internal int Idle
    {
        get
        {
            lock (_idle)
                return _idle.Count;
        }
    }
}

/// <summary>
/// A reusable buffer holding one downloaded results chunk (grown as needed, never shrunk; a read takes turns with two,
/// rented from its client's <see cref="SalesforceBulkChunkPool"/>), allocated pinned (the pinned object heap: the GC never
/// moves it), so SQLite can read the fields of a row where they lie.
/// </summary>
internal sealed class SalesforceBulkChunk
{
    private byte[] _data = GC.AllocateUninitializedArray<byte>(1 << 20, pinned: true);

    /// <summary>The bytes of the chunk.</summary>
    public int Length { get; private set; }

    /// <summary>The size of the buffer (for tests).</summary>
    internal int Capacity => _data.Length;

    /// <summary>True when the chunk's bytes are valid UTF-8 (checked once, as the download ends, on the downloading thread).</summary>
    public bool IsValidUtf8 { get; private set; }

    /// <summary>Reads <paramref name="body"/> to its end into this buffer (replacing what it held).</summary>
    public async Task FillAsync(Stream body, CancellationToken cancellationToken)
    {
        Length = 0;
        IsValidUtf8 = false;
        while (true)
        {
            if (Length == _data.Length)
            {
                var larger = GC.AllocateUninitializedArray<byte>(_data.Length * 2, pinned: true);
                _data.AsSpan(0, Length).CopyTo(larger);
                _data = larger;
            }
            var read = await body.ReadAsync(_data.AsMemory(Length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
                break;
            Length += read;
        }
        // Once for the whole chunk, while the writer works on the other one (instead of once per text field on the writer's thread).
        IsValidUtf8 = System.Text.Unicode.Utf8.IsValid(_data.AsSpan(0, Length));
    }

    /// <summary>The chunk's bytes (no copy).</summary>
    public ReadOnlyMemory<byte> Memory => _data.AsMemory(0, Length);
}
