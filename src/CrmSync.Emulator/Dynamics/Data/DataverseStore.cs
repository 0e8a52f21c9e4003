using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Dynamics.Schema;
using CrmSync.Emulator.Storage;

namespace CrmSync.Emulator.Dynamics.Data;

/// <summary>A lookup value: the referenced record's id and table.</summary>
/// <param name="Id">Record id.</param>
/// <param name="LogicalName">Table logical name.</param>
public sealed record EntityRef(Guid Id, string LogicalName);

/// <summary>A Dataverse error: HTTP status, hex code (may be empty) and message.</summary>
public sealed class DataverseException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
    /// <summary>Retry-After seconds (429 answers).</summary>
    public int? RetryAfter { get; init; }
}

/// <summary>One stored row: id, version (row version / etag) and column values by logical name.</summary>
public sealed class DvRecord
{
    public required Guid Id { get; init; }
    public long Version { get; set; }
    public Dictionary<string, object?> Values { get; init; } = new(StringComparer.Ordinal);

    public object? Get(string name) => Values.GetValueOrDefault(name);

    public DvRecord Clone() => new() { Id = Id, Version = Version, Values = new Dictionary<string, object?>(Values, StringComparer.Ordinal) };
}

/// <summary>A deleted row kept for change tracking.</summary>
/// <param name="Entity">Table.</param>
/// <param name="Id">Record id.</param>
/// <param name="Version">Version of the delete.</param>
/// <param name="DeletedOn">When.</param>
public sealed record Tombstone(string Entity, Guid Id, long Version, DateTime DeletedOn);

/// <summary>
/// The Dataverse org's data: rows per table in memory, a global row-version counter (etags and change-tracking
/// versions), tombstones of deleted rows, schema edits, and write-through persistence into its own SQLite file (tables
/// prefixed <c>dv_</c>). All access goes through <see cref="Sync"/>; a <see cref="Scope"/> undoes a failed change set.
/// </summary>
public sealed class DataverseStore : IDisposable
{
    private readonly Dictionary<string, Dictionary<Guid, DvRecord>> _rows = new(StringComparer.Ordinal);

    // Each table's rows in primary-key order, kept until the table's membership changes: a paged read of N rows asks for
    // the snapshot once per page, and sorting N GUIDs per page made serving a large table quadratic.
    private readonly Dictionary<string, DvRecord[]> _sorted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Tombstone>> _tombstones = new(StringComparer.Ordinal);
    private readonly SqliteJournal? _journal;
    private readonly List<JsonObject> _schemaEdits = [];
    private long _version = 1_000_000;
    private Scope? _scope;

    /// <summary>Lock for every read and write.</summary>
    public object Sync { get; } = new();

    public DataverseStore(string? databasePath)
    {
        Entities = DataverseCatalog.Build();
        foreach (var e in Entities)
        {
            _rows[e.LogicalName] = [];
            _tombstones[e.LogicalName] = [];
        }
        if (databasePath is not null)
        {
            _journal = new SqliteJournal(databasePath);
            Load();
        }
        if (_journal?.GetMeta("dv.organizationid") is { } org)
        {
            OrganizationId = Guid.Parse(org);
        }
        else
        {
            OrganizationId = Guid.NewGuid();
            _journal?.SetMeta("dv.organizationid", OrganizationId.ToString());
        }
    }

    public Guid OrganizationId { get; }

    public List<EntityDef> Entities { get; }

    public EntityDef? Entity(string logicalName) => Entities.FirstOrDefault(e => e.LogicalName == logicalName);

    public EntityDef? EntityBySet(string entitySetName) => Entities.FirstOrDefault(e => e.EntitySetName == entitySetName);

    public long CurrentVersion
    {
        get
        {
            lock (Sync)
            {
                return _version;
            }
        }
    }

    public long NextVersion() => ++_version;

    public int Count(string entity)
    {
        lock (Sync)
        {
            return _rows[entity].Count;
        }
    }

    public DvRecord? Find(string entity, Guid id)
    {
        lock (Sync)
        {
            return _rows[entity].GetValueOrDefault(id);
        }
    }

    /// <summary>Rows of a table in primary-key order (Dataverse's default order).</summary>
    public List<DvRecord> Snapshot(string entity)
    {
        lock (Sync)
        {
            if (!_sorted.TryGetValue(entity, out var sorted))
            {
                sorted = [.. _rows[entity].Values.OrderBy(r => r.Id)];
                _sorted[entity] = sorted;
            }
            return [.. sorted];
        }
    }

    public List<Tombstone> Tombstones(string entity)
    {
        lock (Sync)
        {
            return [.. _tombstones[entity]];
        }
    }

    /// <summary>Adds or replaces a row (the caller set its values and version) and persists it.</summary>
    public void Put(string entity, DvRecord record)
    {
        lock (Sync)
        {
            var table = _rows[entity];
            _scope?.Remember(entity, record.Id, table.GetValueOrDefault(record.Id), _tombstones[entity].FirstOrDefault(t => t.Id == record.Id));
            table[record.Id] = record;
            _sorted.Remove(entity);
            _tombstones[entity].RemoveAll(t => t.Id == record.Id);
            Persist(entity, record);
        }
    }

    /// <summary>Removes a row and leaves a tombstone.</summary>
    public void Remove(string entity, Guid id, DateTime deletedOn)
    {
        lock (Sync)
        {
            var table = _rows[entity];
            if (!table.TryGetValue(id, out var old))
            {
                return;
            }
            _scope?.Remember(entity, id, old, null);
            table.Remove(id);
            _sorted.Remove(entity);
            var tomb = new Tombstone(entity, id, NextVersion(), deletedOn);
            _tombstones[entity].Add(tomb);
            _journal?.Upsert("dv_" + entity, [new SqliteJournal.Row(id.ToString(), tomb.Version, true,
                new JsonObject { ["deletedon"] = deletedOn.ToString("O", CultureInfo.InvariantCulture) }.ToJsonString())]);
        }
    }

    /// <summary>Drops tombstones older than <paramref name="before"/> (the org's change-tracking retention).</summary>
    public void PurgeTombstones(DateTime before)
    {
        lock (Sync)
        {
            foreach (var list in _tombstones.Values)
            {
                list.RemoveAll(t => t.DeletedOn < before);
            }
        }
    }

    /// <summary>Starts an atomic scope (a change set); dispose without <see cref="Scope.Complete"/> to roll back.</summary>
    public Scope BeginScope()
    {
        Monitor.Enter(Sync);
        if (_scope is not null)
        {
            // Nested (CreateMultiple inside a change set): the outer scope undoes everything if anything fails.
            return new Scope(this, nested: true);
        }
        _scope = new Scope(this, nested: false);
        return _scope;
    }

    /// <summary>Undo log of a change set.</summary>
    public sealed class Scope : IDisposable
    {
        private readonly DataverseStore _store;
        private readonly List<(string Entity, Guid Id, DvRecord? Before, Tombstone? Tomb)> _undo = [];
        private readonly HashSet<(string, Guid)> _seen = [];
        private readonly bool _nested;
        private bool _complete;

        internal Scope(DataverseStore store, bool nested)
        {
            _store = store;
            _nested = nested;
        }

        internal void Remember(string entity, Guid id, DvRecord? before, Tombstone? tomb)
        {
            if (_seen.Add((entity, id)))
            {
                _undo.Add((entity, id, before?.Clone(), tomb));
            }
        }

        public void Complete() => _complete = true;

        public void Dispose()
        {
            try
            {
                if (_nested)
                {
                    return;
                }
                _store._scope = null;
                if (_complete)
                {
                    return;
                }
                foreach (var (entity, id, before, tomb) in Enumerable.Reverse(_undo))
                {
                    var table = _store._rows[entity];
                    _store._sorted.Remove(entity);
                    _store._tombstones[entity].RemoveAll(t => t.Id == id);
                    if (before is null)
                    {
                        table.Remove(id);
                        _store._journal?.Remove("dv_" + entity, id.ToString());
                    }
                    else
                    {
                        table[id] = before;
                        _store.Persist(entity, before);
                    }
                    if (tomb is not null)
                    {
                        _store._tombstones[entity].Add(tomb);
                    }
                }
            }
            finally
            {
                Monitor.Exit(_store.Sync);
            }
        }
    }

    // ---- schema edits -------------------------------------------------------------------------------------------

    /// <summary>Adds a custom column.</summary>
    public void AddAttribute(string entity, string name, string type, string? label, int? maxLength)
    {
        lock (Sync)
        {
            var def = Entity(entity) ?? throw new ArgumentException($"Unknown table '{entity}'.");
            ApplyEdit(new JsonObject { ["op"] = "add", ["entity"] = entity, ["name"] = name, ["type"] = type, ["label"] = label, ["maxLength"] = maxLength }, def);
        }
    }

    public void RemoveAttribute(string entity, string name)
    {
        lock (Sync)
        {
            var def = Entity(entity) ?? throw new ArgumentException($"Unknown table '{entity}'.");
            ApplyEdit(new JsonObject { ["op"] = "remove", ["entity"] = entity, ["name"] = name }, def);
        }
    }

    public void RenameAttribute(string entity, string name, string newName, string? label)
    {
        lock (Sync)
        {
            var def = Entity(entity) ?? throw new ArgumentException($"Unknown table '{entity}'.");
            ApplyEdit(new JsonObject { ["op"] = "rename", ["entity"] = entity, ["name"] = name, ["newName"] = newName, ["label"] = label }, def);
        }
    }

    /// <summary>
    /// Turns change tracking of a table on or off (an org where it was never enabled on a table; real Dataverse cannot turn it
    /// off once on). Off: track-changes reads of the table are refused and its metadata says ChangeTrackingEnabled false.
    /// </summary>
    public void SetChangeTracking(string entity, bool enabled)
    {
        lock (Sync)
        {
            var def = Entity(entity) ?? throw new ArgumentException($"Unknown table '{entity}'.");
            ApplyEdit(new JsonObject { ["op"] = "changetracking", ["entity"] = entity, ["name"] = entity, ["enabled"] = enabled }, def);
        }
    }

    public void SetKeyStatus(string entity, string key, string status)
    {
        lock (Sync)
        {
            var def = Entity(entity) ?? throw new ArgumentException($"Unknown table '{entity}'.");
            ApplyEdit(new JsonObject { ["op"] = "keystatus", ["entity"] = entity, ["name"] = key, ["status"] = status }, def);
        }
    }

    private void ApplyEdit(JsonObject edit, EntityDef def, bool replay = false)
    {
        string op = edit["op"]!.GetValue<string>();
        string name = edit["name"]!.GetValue<string>();
        switch (op)
        {
            case "add":
                if (def.Attribute(name) is not null)
                {
                    throw new ArgumentException($"The column '{name}' already exists on '{def.LogicalName}'.");
                }
                if (!name.Contains('_', StringComparison.Ordinal) || name != name.ToLowerInvariant())
                {
                    throw new ArgumentException("A custom column's logical name is lower case with a publisher prefix, e.g. new_score.");
                }
                string type = edit["type"]?.GetValue<string>() ?? "String";
                if (!Enum.TryParse<AttributeKind>(type, true, out var kind) || kind is AttributeKind.Uniqueidentifier or AttributeKind.State or AttributeKind.Status or AttributeKind.Owner or AttributeKind.Customer or AttributeKind.Lookup or AttributeKind.Picklist)
                {
                    throw new ArgumentException($"Unsupported column type '{type}'. Use String, Memo, Integer, Decimal, Double, Money, Boolean or DateTime.");
                }
                def.Attributes.Add(new AttributeDef
                {
                    LogicalName = name,
                    SchemaName = name,
                    Kind = kind,
                    DisplayName = edit["label"]?.GetValue<string>() ?? name,
                    MaxLength = kind is AttributeKind.String or AttributeKind.Memo ? edit["maxLength"]?.GetValue<int>() ?? 100 : null,
                    IsCustom = true,
                    Options = kind == AttributeKind.Boolean ? [new OptionDef(0, "No"), new OptionDef(1, "Yes")] : [],
                    DefaultValue = kind == AttributeKind.Boolean ? false : null,
                    MetadataId = DataverseCatalog.StableGuid(def.LogicalName + "." + name),
                    OptionSetName = kind == AttributeKind.Boolean ? def.LogicalName + "_" + name : null,
                });
                break;
            case "remove":
                var removed = def.Attribute(name) ?? throw new ArgumentException($"Unknown column '{name}' on '{def.LogicalName}'.");
                if (!removed.IsCustom || removed.IsPrimaryId)
                {
                    throw new ArgumentException($"Only custom columns can be deleted ('{name}' is a system column).");
                }
                def.Attributes.Remove(removed);
                def.Keys.RemoveAll(k => k.Attributes.Contains(name));
                foreach (var row in _rows[def.LogicalName].Values)
                {
                    row.Values.Remove(name);
                }
                break;
            case "rename":
                string newName = edit["newName"]!.GetValue<string>();
                var attr = def.Attribute(name) ?? throw new ArgumentException($"Unknown column '{name}' on '{def.LogicalName}'.");
                if (def.Attribute(newName) is not null)
                {
                    throw new ArgumentException($"The column '{newName}' already exists on '{def.LogicalName}'.");
                }
                if (attr.IsPrimaryId)
                {
                    throw new ArgumentException("The primary key cannot be renamed.");
                }
                int index = def.Attributes.IndexOf(attr);
                def.Attributes[index] = attr with { LogicalName = newName, SchemaName = newName, DisplayName = edit["label"]?.GetValue<string>() ?? attr.DisplayName };
                for (int k = 0; k < def.Keys.Count; k++)
                {
                    if (def.Keys[k].Attributes.Contains(name))
                    {
                        def.Keys[k] = def.Keys[k] with { Attributes = def.Keys[k].Attributes.Select(a => a == name ? newName : a).ToList() };
                    }
                }
                foreach (var row in _rows[def.LogicalName].Values)
                {
                    if (row.Values.Remove(name, out var value))
                    {
                        row.Values[newName] = value;
                    }
                }
                break;
            case "keystatus":
                int ki = def.Keys.FindIndex(k => k.LogicalName == name);
                if (ki < 0)
                {
                    throw new ArgumentException($"Unknown key '{name}' on '{def.LogicalName}'.");
                }
                string status = edit["status"]!.GetValue<string>();
                if (status is not ("Pending" or "InProgress" or "Active" or "Failed"))
                {
                    throw new ArgumentException("EntityKeyIndexStatus is Pending, InProgress, Active or Failed.");
                }
                def.Keys[ki] = def.Keys[ki] with { Status = status };
                break;
            case "changetracking":
                def.ChangeTrackingEnabled = edit["enabled"]!.GetValue<bool>();
                break;
            default:
                throw new ArgumentException($"Unknown schema edit '{op}'.");
        }
        if (!replay)
        {
            _schemaEdits.Add(edit);
            _journal?.SetMeta("dv.schema", new JsonArray(_schemaEdits.Select(e => (JsonNode)e.DeepClone()).ToArray()).ToJsonString());
            if (op is "remove" or "rename" && _journal is not null)
            {
                _journal.Upsert("dv_" + def.LogicalName, _rows[def.LogicalName].Values.Select(r => Row(def.LogicalName, r)).ToList());
            }
        }
    }

    // ---- persistence --------------------------------------------------------------------------------------------

    private void Persist(string entity, DvRecord record) => _journal?.Upsert("dv_" + entity, [Row(entity, record)]);

    private SqliteJournal.Row Row(string entity, DvRecord record)
    {
        var json = new JsonObject();
        foreach (var (key, value) in record.Values)
        {
            json[key] = value switch
            {
                null => null,
                EntityRef r => new JsonObject { ["id"] = r.Id.ToString(), ["type"] = r.LogicalName },
                DateTime t => JsonValue.Create(t.ToString("O", CultureInfo.InvariantCulture)),
                Guid g => JsonValue.Create(g.ToString()),
                string s => JsonValue.Create(s),
                bool b => JsonValue.Create(b),
                int i => JsonValue.Create(i),
                long l => JsonValue.Create(l),
                decimal d => JsonValue.Create(d),
                double d => JsonValue.Create(d),
                _ => JsonValue.Create(value.ToString()),
            };
        }
        return new SqliteJournal.Row(record.Id.ToString(), record.Version, false, json.ToJsonString());
    }

    private void Load()
    {
        if (_journal!.GetMeta("dv.schema") is { } schema)
        {
            foreach (var edit in JsonNode.Parse(schema)!.AsArray().OfType<JsonObject>())
            {
                if (Entity(edit["entity"]!.GetValue<string>()) is { } def)
                {
                    ApplyEdit(edit, def, replay: true);
                    _schemaEdits.Add(edit);
                }
            }
        }
        foreach (var def in Entities)
        {
            foreach (var row in _journal.ReadAll("dv_" + def.LogicalName))
            {
                var id = Guid.Parse(row.Id);
                _version = Math.Max(_version, row.Modstamp);
                var json = JsonNode.Parse(row.Json)!.AsObject();
                if (row.IsDeleted)
                {
                    var on = DateTime.Parse(json["deletedon"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                    _tombstones[def.LogicalName].Add(new Tombstone(def.LogicalName, id, row.Modstamp, on));
                    continue;
                }
                var record = new DvRecord { Id = id, Version = row.Modstamp };
                foreach (var (key, node) in json)
                {
                    var attr = def.Attribute(key);
                    record.Values[key] = node is null || attr is null ? null : FromJson(attr, node);
                }
                _rows[def.LogicalName][id] = record;
                _sorted.Remove(def.LogicalName);
            }
            _tombstones[def.LogicalName].Sort((a, b) => a.Version.CompareTo(b.Version));
        }
    }

    private static object? FromJson(AttributeDef attr, JsonNode node) => attr.Kind switch
    {
        AttributeKind.Lookup or AttributeKind.Customer or AttributeKind.Owner =>
            new EntityRef(Guid.Parse(node["id"]!.GetValue<string>()), node["type"]!.GetValue<string>()),
        AttributeKind.Uniqueidentifier => Guid.Parse(node.GetValue<string>()),
        AttributeKind.DateTime => DateTime.Parse(node.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
        AttributeKind.Boolean => node.GetValue<JsonElement>().ValueKind == JsonValueKind.True,
        AttributeKind.Integer or AttributeKind.Picklist or AttributeKind.State or AttributeKind.Status => node.GetValue<JsonElement>().GetInt32(),
        AttributeKind.BigInt => node.GetValue<JsonElement>().GetInt64(),
        AttributeKind.Double => node.GetValue<JsonElement>().GetDouble(),
        AttributeKind.Decimal or AttributeKind.Money => node.GetValue<JsonElement>().GetDecimal(),
        _ => node.GetValue<string>(),
    };

    public void Dispose() => _journal?.Dispose();
}
