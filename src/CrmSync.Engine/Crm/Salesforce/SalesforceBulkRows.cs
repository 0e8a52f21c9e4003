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

    public SalesforceBulkRows(Stream utf8, CrmObjectSchema? schema, string objectName)
    {
        var options = new CsvReaderOptions
        {
            Separator = ',',
            HasHeader = true,
            IncludeValuesInExceptions = false,
            MalformedData = CsvMalformedDataHandling.Throw,
        };
        _csv = CsvReader.Create(utf8, options, leaveOpen: true);
        _schema = schema;
        _objectName = schema?.Name ?? objectName;
    }

    public IReadOnlyList<string> FieldNames => _names;

    public IReadOnlyList<CrmFieldType> FieldTypes => _types;

    public int IdColumn { get; private set; } = -1;

    public int StampColumn { get; private set; } = -1;

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

    public ReadOnlySpan<byte> Field(int column) => column < _csv.FieldCount ? _csv.GetSpan(column) : default;

    public bool IsPlain => IsFalse(_deletedColumn) && IsFalse(_convertedColumn);

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

/// <summary>A reusable buffer holding one downloaded results chunk (grown as needed, never shrunk: two per bulk read).</summary>
internal sealed class SalesforceBulkChunk
{
    private byte[] _data = new byte[1 << 20];

    /// <summary>The bytes of the chunk.</summary>
    public int Length { get; private set; }

    /// <summary>Reads <paramref name="body"/> to its end into this buffer (replacing what it held).</summary>
    public async Task FillAsync(Stream body, CancellationToken cancellationToken)
    {
        Length = 0;
        while (true)
        {
            if (Length == _data.Length)
                Array.Resize(ref _data, _data.Length * 2);
            var read = await body.ReadAsync(_data.AsMemory(Length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
                return;
            Length += read;
        }
    }

    /// <summary>A read-only stream over the chunk's bytes (no copy).</summary>
    public Stream Open() => new MemoryStream(_data, 0, Length, writable: false);
}
