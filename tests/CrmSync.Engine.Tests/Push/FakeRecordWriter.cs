using System.Globalization;
using CrmSync.Engine.Crm;
using CrmSync.Engine.Tests.Sync;

namespace CrmSync.Engine.Tests.Push;

/// <summary>
/// The write side of the in-memory CRM: updates, creates and upserts land in the <see cref="FakeChangeSource"/> (with a new
/// stamp, so the next pull sees them). Lead requires LastName and Company (REQUIRED_FIELD_MISSING), an unknown or deleted id
/// gives ENTITY_IS_DELETED, read-only fields are refused (INVALID_FIELD_FOR_INSERT_UPDATE), and tests inject per-record
/// errors (<see cref="Fail"/>) or a crash after the CRM applied a write (<see cref="AfterWrite"/>).
/// </summary>
internal sealed class FakeRecordWriter(FakeChangeSource source, FakeSchemaReader schema) : ICrmRecordWriter
{
    private readonly object _gate = new();
    private int _next;

    private readonly HashSet<(string Object, string Id)> _known = [];

    public int MaxBatchSize => 200;

    /// <summary>Tells the writer about a record put into the source directly (upserts search the known records).</summary>
    public void Know(string objectName, string id)
    {
        lock (_gate) _known.Add((objectName, id));
    }

    /// <summary>Every known record of <paramref name="objectName"/>, as the CRM has it now.</summary>
    public IReadOnlyList<CrmRecord> All(string objectName)
    {
        lock (_gate) return _known.Where(k => k.Object == objectName).Select(k => source.Get(objectName, k.Id)).ToList();
    }
    /// <summary>Every request: "Update Lead 3", "Upsert Lead CrmSync_Key__c 1", "Create CampaignMember 1".</summary>
    public List<string> CallLog { get; } = [];
    /// <summary>Every record sent, in order (object, id or null, values).</summary>
    public List<(string Object, string? Id, IReadOnlyDictionary<string, object?> Values)> Sent { get; } = [];
    /// <summary>Per record: an error to answer instead of writing (null: write it).</summary>
    public Func<string, CrmRecordChange, CrmWriteError?>? Fail { get; set; }
    /// <summary>Runs after a request was applied in the CRM, before the results go back (a test throws here to "crash").</summary>
    public Action<string>? AfterWrite { get; set; }

    public Task<IReadOnlyList<CrmWriteResult>> CreateAsync(string objectName, IReadOnlyList<CrmRecordChange> records, CancellationToken cancellationToken) =>
        Write("Create " + objectName, objectName, records, (change, i) => Insert(objectName, change, i));

    public Task<IReadOnlyList<CrmWriteResult>> UpdateAsync(string objectName, IReadOnlyList<CrmRecordChange> records, CancellationToken cancellationToken) =>
        Write("Update " + objectName, objectName, records, (change, i) =>
        {
            CrmRecord existing;
            try
            {
                existing = source.Get(objectName, change.Id!);
            }
            catch (KeyNotFoundException)
            {
                return Error(i, "ENTITY_IS_DELETED", "entity is deleted", false);
            }
            if (existing.IsDeleted)
                return Error(i, "ENTITY_IS_DELETED", "entity is deleted", false);
            if (ReadOnly(objectName, change, create: false) is { } field)
                return Error(i, "INVALID_FIELD_FOR_INSERT_UPDATE", $"Unable to create/update fields: {field}.", false);
            source.Put(objectName, existing.Id, Merge(existing.Values, change.Values));
            return new CrmWriteResult(i, existing.Id, true, null, []);
        });

    public Task<IReadOnlyList<CrmWriteResult>> UpsertAsync(string objectName, string externalIdField, IReadOnlyList<CrmRecordChange> records,
        CancellationToken cancellationToken) =>
        Write($"Upsert {objectName} {externalIdField}", objectName, records, (change, i) =>
        {
            if (change.Values.GetValueOrDefault(externalIdField) is not string key)
                return Error(i, "MISSING_ARGUMENT", $"{externalIdField} not specified", false);
            var existing = All(objectName).FirstOrDefault(r => !r.IsDeleted && Equals(r.Values.GetValueOrDefault(externalIdField), key));
            if (existing is null)
                return Insert(objectName, change, i) with { Created = true };
            source.Put(objectName, existing.Id, Merge(existing.Values, change.Values));
            return new CrmWriteResult(i, existing.Id, true, false, []);
        });

    public Task<IReadOnlyList<CrmWriteResult>> DeleteAsync(string objectName, IReadOnlyList<string> ids, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("The push never deletes.");

    private CrmWriteResult Insert(string objectName, CrmRecordChange change, int index)
    {
        if (objectName == "Lead")
            foreach (var required in new[] { "LastName", "Company" })
                if (change.Values.GetValueOrDefault(required) is null or "")
                    return Error(index, "REQUIRED_FIELD_MISSING", $"Required fields are missing: [{required}]", false);
        if (ReadOnly(objectName, change, create: true) is { } field)
            return Error(index, "INVALID_FIELD_FOR_INSERT_UPDATE", $"Unable to create/update fields: {field}.", false);
        var prefix = objectName switch { "Lead" => "00Q", "Contact" => "003", "Campaign" => "701", _ => "00v" };
        var id = prefix + "9" + Interlocked.Increment(ref _next).ToString("D11", CultureInfo.InvariantCulture) + "AAA";
        _known.Add((objectName, id));
        source.Put(objectName, id, new Dictionary<string, object?>(change.Values, StringComparer.OrdinalIgnoreCase)
        {
            ["CreatedDate"] = new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero),
        });
        return new CrmWriteResult(index, id, true, null, []);
    }

    private string? ReadOnly(string objectName, CrmRecordChange change, bool create)
    {
        if (!schema.Objects.TryGetValue(objectName, out var described))
            return null;
        foreach (var name in change.Values.Keys)
        {
            var field = described.FindField(name);
            if (field is null || field.Calculated || !(create ? field.Createable : field.Updateable))
                return name;
        }
        return null;
    }

    private static Dictionary<string, object?> Merge(IReadOnlyDictionary<string, object?> existing, IReadOnlyDictionary<string, object?> changes)
    {
        var merged = existing.Where(p => p.Key is not ("Id" or "SystemModstamp" or "IsDeleted" or "MasterRecordId"))
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in changes)
            merged[name] = value;
        return merged;
    }

    private static CrmWriteResult Error(int index, string code, string message, bool transient) =>
        new(index, null, false, null, [new CrmWriteError(code, message, [], transient)]);

    private Task<IReadOnlyList<CrmWriteResult>> Write(string call, string objectName, IReadOnlyList<CrmRecordChange> records,
        Func<CrmRecordChange, int, CrmWriteResult> apply)
    {
        if (records.Count > MaxBatchSize)
            throw new InvalidOperationException($"{records.Count} records in one request (max {MaxBatchSize}).");
        var results = new List<CrmWriteResult>();
        lock (_gate)
        {
            CallLog.Add($"{call} {records.Count}");
            for (var i = 0; i < records.Count; i++)
            {
                Sent.Add((objectName, records[i].Id, records[i].Values));
                results.Add(Fail?.Invoke(objectName, records[i]) is { } error
                    ? new CrmWriteResult(i, null, false, null, [error])
                    : apply(records[i], i));
            }
        }
        AfterWrite?.Invoke(call);
        return Task.FromResult<IReadOnlyList<CrmWriteResult>>(results);
    }
}
