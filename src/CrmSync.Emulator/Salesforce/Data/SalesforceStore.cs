using System.Text;
using System.Text.Json;
using CrmSync.Emulator.Salesforce.Schema;
using CrmSync.Emulator.Storage;

namespace CrmSync.Emulator.Salesforce.Data;

/// <summary>
/// The emulated org's data: schema, records (in memory, written through to SQLite when a file is configured),
/// the delete log, and every write rule (validation, audit fields, conversion, merge). Thread-safe: writes and
/// snapshots are serialized on one lock; readers get immutable record versions.
/// </summary>
public sealed partial class SalesforceStore : IDisposable
{
    /// <summary>How long the delete log keeps entries.</summary>
    public static readonly TimeSpan DeleteLogRetention = TimeSpan.FromDays(15);

    private readonly Dictionary<string, SObjectDefinition> _definitions = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, SObjectDefinition> _byPrefix = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RecordTable> _tables = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<DeletedEntry> _deleteLog = [];
    private readonly SqliteJournal? _journal;
    private readonly TimeProvider _clock;
    private List<Action>? _undo;
    private long _sequence;
    private long _schemaVersion;
    private DateTime _lastStamp;

    /// <summary>The lock every write and snapshot takes.</summary>
    public object Sync { get; } = new();

    /// <summary>Creates the store; loads persisted data when <paramref name="databasePath"/> is given.</summary>
    public SalesforceStore(TimeProvider clock, string? databasePath)
    {
        _clock = clock;
        foreach (var definition in StandardCatalog.Create())
        {
            _definitions[definition.Name] = definition;
            _byPrefix[definition.KeyPrefix] = definition;
            _tables[definition.Name] = new RecordTable(definition);
        }
        OrganizationId = SalesforceId.Create("00D", 1);
        OrgCreated = SalesforceFormat.TruncateToMinute(_clock.GetUtcNow().UtcDateTime);
        if (databasePath is not null)
        {
            _journal = new SqliteJournal(databasePath);
            Load();
        }
    }

    /// <summary>The 18-character organization id.</summary>
    public string OrganizationId { get; }

    /// <summary>When the org's delete log begins.</summary>
    public DateTime OrgCreated { get; private set; }

    /// <summary>Increments on every schema change (compiled queries are cached per version).</summary>
    public long SchemaVersion => Interlocked.Read(ref _schemaVersion);

    /// <summary>The clock.</summary>
    public TimeProvider Clock => _clock;

    /// <summary>Today's date (UTC) by the clock.</summary>
    public DateOnly Today => DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime);

    /// <summary>All sObject definitions.</summary>
    public IReadOnlyCollection<SObjectDefinition> Definitions => _definitions.Values;

    /// <summary>Finds an sObject definition by name (case-insensitive).</summary>
    public SObjectDefinition? Definition(string name) => _definitions.GetValueOrDefault(name);

    /// <summary>Finds the sObject that issues ids with this key prefix.</summary>
    public SObjectDefinition? DefinitionForId(string id) => _byPrefix.GetValueOrDefault(SalesforceId.KeyPrefixOf(id));

    /// <summary>A read view of a record.</summary>
    public RecordView View(SObjectDefinition sobject, StoredRecord record) => new(sobject, sobject.FieldSet, record, Today);

    /// <summary>Finds a record (deleted ones included) by id.</summary>
    public StoredRecord? Find(SObjectDefinition sobject, string id)
    {
        lock (Sync)
        {
            return _tables[sobject.Name].Find(id);
        }
    }

    /// <summary>Whether a stored record is soft-deleted.</summary>
    public static bool IsDeleted(SObjectDefinition sobject, StoredRecord record) =>
        sobject.Field("IsDeleted") is { } f && record.Get(f) is true;

    /// <summary>A consistent snapshot of every record version of one sObject (deleted included), in id order.</summary>
    public StoredRecord[] Snapshot(SObjectDefinition sobject)
    {
        lock (Sync)
        {
            return _tables[sobject.Name].Snapshot();
        }
    }

    /// <summary>A snapshot of every record ordered by SystemModstamp (ties in id order), for range scans.</summary>
    public (long[] Ticks, StoredRecord[] Rows) ModstampIndex(SObjectDefinition sobject)
    {
        lock (Sync)
        {
            return _tables[sobject.Name].ModstampIndex();
        }
    }

    /// <summary>Number of records, deleted included.</summary>
    public int Count(SObjectDefinition sobject)
    {
        lock (Sync)
        {
            return _tables[sobject.Name].Count;
        }
    }

    /// <summary>Ids whose External ID field equals the value (deleted records excluded).</summary>
    public IReadOnlyList<string> FindByExternalId(SObjectDefinition sobject, FieldDefinition field, string value)
    {
        lock (Sync)
        {
            var table = _tables[sobject.Name];
            return table.FindByExternalId(field, value).Where(id => table.Find(id) is { } r && !IsDeleted(sobject, r)).Order(StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>The delete log entries of one sObject with a deleted date in [start, end].</summary>
    public IReadOnlyList<DeletedEntry> DeletedBetween(SObjectDefinition sobject, DateTime start, DateTime end)
    {
        lock (Sync)
        {
            PurgeDeleteLog();
            return _deleteLog.Where(e => e.SObject == sobject.Name && e.DeletedDate >= start && e.DeletedDate <= end).ToList();
        }
    }

    /// <summary>The earliest date the delete log still covers.</summary>
    public DateTime EarliestDeleteLogDate
    {
        get
        {
            var retained = SalesforceFormat.TruncateToMinute(_clock.GetUtcNow().UtcDateTime - DeleteLogRetention);
            return retained > OrgCreated ? retained : OrgCreated;
        }
    }

    /// <summary>
    /// Removes the deleted records of an sObject for good, as Salesforce does when it empties the recycle bin (15 days after a
    /// delete, or an emptyRecycleBin call): queryAll no longer returns them. The delete log keeps its entries (it has a
    /// retention of its own). Returns how many records were removed.
    /// </summary>
    public int EmptyRecycleBin(SObjectDefinition sobject)
    {
        lock (Sync)
        {
            var table = _tables[sobject.Name];
            var purged = table.Snapshot().Where(r => IsDeleted(sobject, r)).Select(r => r.Id).ToList();
            foreach (var id in purged)
            {
                table.Remove(id);
                _journal?.Remove(sobject.Name, id);
            }
            return purged.Count;
        }
    }

    private void PurgeDeleteLog()
    {
        var cutoff = _clock.GetUtcNow().UtcDateTime - DeleteLogRetention;
        _deleteLog.RemoveAll(e => e.DeletedDate < cutoff);
    }

    /// <summary>The next SystemModstamp: now at millisecond precision, never earlier than the previous one.</summary>
    public DateTime NextStamp()
    {
        lock (Sync)
        {
            var now = SalesforceFormat.TruncateToMilliseconds(_clock.GetUtcNow());
            if (now < _lastStamp)
            {
                now = _lastStamp;
            }
            _lastStamp = now;
            return now;
        }
    }

    /// <summary>Issues a new id for an sObject.</summary>
    public string NewId(SObjectDefinition sobject) => SalesforceId.Create(sobject.KeyPrefix, Interlocked.Increment(ref _sequence));

    // ---- undo (all-or-none across several operations) ------------------------------------------------------

    /// <summary>
    /// Runs <paramref name="work"/> under the write lock; when it returns false every change it made is undone.
    /// </summary>
    public bool RunAtomically(Func<bool> work)
    {
        lock (Sync)
        {
            var outer = _undo;
            var undo = new List<Action>();
            _undo = undo;
            bool keep = false;
            try
            {
                keep = work();
                return keep;
            }
            finally
            {
                _undo = outer;
                if (!keep)
                {
                    for (int i = undo.Count - 1; i >= 0; i--)
                    {
                        undo[i]();
                    }
                }
                else
                {
                    outer?.AddRange(undo);
                }
            }
        }
    }

    private void PutRecord(SObjectDefinition sobject, StoredRecord record)
    {
        var table = _tables[sobject.Name];
        var previous = table.Find(record.Id);
        table.Put(record);
        Persist(sobject, record);
        _undo?.Add(() =>
        {
            if (previous is null)
            {
                table.Remove(record.Id);
                _journal?.Remove(sobject.Name, record.Id);
            }
            else
            {
                table.Put(previous);
                Persist(sobject, previous);
            }
        });
    }

    private void LogDeletion(SObjectDefinition sobject, string id, DateTime when)
    {
        var entry = new DeletedEntry(sobject.Name, id, when);
        _deleteLog.Add(entry);
        _journal?.LogDelete(sobject.Name, id, when.Ticks);
        _undo?.Add(() =>
        {
            _deleteLog.Remove(entry);
            _journal?.UnlogDelete(id);
        });
    }

    // ---- persistence ---------------------------------------------------------------------------------------

    private void Persist(SObjectDefinition sobject, StoredRecord record)
    {
        if (_journal is null)
        {
            return;
        }
        _journal.Upsert(sobject.Name, [ToRow(sobject, record)]);
    }

    private SqliteJournal.Row ToRow(SObjectDefinition sobject, StoredRecord record)
    {
        var fields = sobject.FieldSet;
        var modstamp = fields.Find("SystemModstamp") is { } m && record.Get(m) is DateTime stamp ? stamp.Ticks : 0L;
        return new SqliteJournal.Row(record.Id, modstamp, IsDeleted(sobject, record), SerializeValues(fields, record));
    }

    private static string SerializeValues(FieldSet fields, StoredRecord record)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var field in fields.Fields)
            {
                if (field.Calculated || record.Get(field) is not { } value)
                {
                    continue;
                }
                writer.WritePropertyName(field.Name);
                switch (value)
                {
                    case string s: writer.WriteStringValue(s); break;
                    case bool b: writer.WriteBooleanValue(b); break;
                    case decimal d: writer.WriteNumberValue(d); break;
                    case long l: writer.WriteNumberValue(l); break;
                    case DateTime t: writer.WriteStringValue(SalesforceFormat.DateTime(t)); break;
                    case DateOnly d: writer.WriteStringValue(SalesforceFormat.Date(d)); break;
                    default: writer.WriteStringValue(value.ToString()); break;
                }
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private void Load()
    {
        var journal = _journal!;
        if (journal.GetMeta("org.created") is { } created && long.TryParse(created, out var createdTicks))
        {
            OrgCreated = new DateTime(createdTicks, DateTimeKind.Utc);
        }
        else
        {
            journal.SetMeta("org.created", OrgCreated.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        foreach (var definition in _definitions.Values)
        {
            if (journal.GetMeta("schema." + definition.Name) is { } schemaJson)
            {
                RestoreSchema(definition, schemaJson);
            }
            var table = _tables[definition.Name];
            var fields = definition.FieldSet;
            // Stored values were validated when written: reload them without length or picklist checks.
            var relaxed = fields.Fields.ToDictionary(f => f.Name, f => f with { Length = 0, RestrictedPicklist = false }, StringComparer.OrdinalIgnoreCase);
            foreach (var row in journal.ReadAll(definition.Name))
            {
                var values = new object?[fields.SlotCount];
                using var doc = JsonDocument.Parse(row.Json);
                foreach (var property in doc.RootElement.EnumerateObject())
                {
                    if (relaxed.TryGetValue(property.Name, out var field))
                    {
                        values[field.Ordinal] = field.Type switch
                        {
                            FieldType.DateTime when property.Value.ValueKind == JsonValueKind.String
                                && DateTime.TryParseExact(property.Value.GetString(), "yyyy-MM-dd'T'HH:mm:ss.fff'+0000'", System.Globalization.CultureInfo.InvariantCulture,
                                    System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var parsedStamp) => DateTime.SpecifyKind(parsedStamp, DateTimeKind.Utc),
                            FieldType.Picklist when property.Value.ValueKind == JsonValueKind.String => Intern(field, property.Value.GetString()!),
                            _ => ValueCoercion.Coerce(field, property.Value, out _),
                        };
                    }
                }
                table.Put(new StoredRecord(row.Id, values));
                _sequence = Math.Max(_sequence, SalesforceId.SequenceOf(row.Id));
                if (fields.Find("SystemModstamp") is { } ms && values[ms.Ordinal] is DateTime stamp && stamp > _lastStamp)
                {
                    _lastStamp = stamp;
                }
            }
        }
        foreach (var (type, id, ticks) in journal.ReadDeleteLog())
        {
            _deleteLog.Add(new DeletedEntry(type, id, new DateTime(ticks, DateTimeKind.Utc)));
        }
    }

    private static string Intern(FieldDefinition field, string value)
    {
        foreach (var entry in field.PicklistValues)
        {
            if (entry.Value == value)
            {
                return entry.Value;
            }
        }
        return value;
    }

    /// <summary>Writes many new record versions in one transaction (seeding).</summary>
    /// <summary>The record table of <paramref name="sobject"/> (callers hold <see cref="Sync"/>).</summary>
    internal RecordTable Table(SObjectDefinition sobject) => _tables[sobject.Name];

    internal void PutMany(SObjectDefinition sobject, IReadOnlyList<StoredRecord> records)
    {
        lock (Sync)
        {
            var table = _tables[sobject.Name];
            foreach (var record in records)
            {
                table.Put(record);
            }
            _journal?.Upsert(sobject.Name, records.Select(r => ToRow(sobject, r)));
        }
    }

    /// <inheritdoc />
    public void Dispose() => _journal?.Dispose();
}
