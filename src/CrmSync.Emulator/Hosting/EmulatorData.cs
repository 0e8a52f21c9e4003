using CrmSync.Emulator.Salesforce;
using CrmSync.Emulator.Salesforce.Data;
using CrmSync.Emulator.Salesforce.Schema;
using CrmSync.Emulator.Salesforce.Seeding;

namespace CrmSync.Emulator.Hosting;

/// <summary>
/// Direct access to the emulated org's data for test setup and assertions. Writes are made "as a CRM user would":
/// by the CRM admin user, with the same validation, audit fields, SystemModstamp and delete log as API writes.
/// Values may be .NET values (string, bool, int/long, decimal/double, DateTime, DateOnly) or strings in
/// Salesforce formats.
/// </summary>
public sealed class EmulatorData
{
    private readonly SalesforceOrg _org;

    internal EmulatorData(SalesforceOrg org) => _org = org;

    private SalesforceStore Store => _org.Store;

    private WriteContext AsCrmUser => new(_org.AdminUser.Id);

    private SObjectDefinition Type(string sobject) =>
        Store.Definition(sobject) ?? throw new ArgumentException($"Unknown sObject type '{sobject}'.", nameof(sobject));

    private static string Normalize(string id) =>
        SalesforceId.TryNormalize(id, out var normalized) ? normalized : throw new ArgumentException($"Malformed id '{id}'.", nameof(id));

    private static T Check<T>(T outcome, IReadOnlyList<SaveError> errors) =>
        errors.Count == 0 ? outcome : throw new EmulatorWriteException(errors);

    /// <summary>Creates a record; returns its 18-character id.</summary>
    /// <exception cref="EmulatorWriteException">Validation failed.</exception>
    public string Insert(string sobject, IReadOnlyDictionary<string, object?> fields)
    {
        var outcome = Store.Create(Type(sobject), fields, AsCrmUser);
        return Check(outcome.Id!, outcome.Errors);
    }

    /// <summary>Updates fields of a record.</summary>
    /// <exception cref="EmulatorWriteException">Validation failed or the record is deleted.</exception>
    public void Update(string sobject, string id, IReadOnlyDictionary<string, object?> fields)
    {
        var outcome = Store.Update(Type(sobject), Normalize(id), fields, AsCrmUser);
        Check(outcome, outcome.Errors);
    }

    /// <summary>Soft-deletes a record (it shows in queryAll and /deleted/).</summary>
    public void Delete(string sobject, string id)
    {
        var outcome = Store.Delete(Type(sobject), Normalize(id), AsCrmUser);
        Check(outcome, outcome.Errors);
    }

    /// <summary>
    /// Empties the recycle bin of a type, as Salesforce does 15 days after a delete: its deleted records are removed for good
    /// (queryAll no longer returns them; /deleted/ still lists them within its own 15 days). Returns how many were removed.
    /// </summary>
    public int EmptyRecycleBin(string sobject) => Store.EmptyRecycleBin(Type(sobject));

    /// <summary>A record's current values (formula fields computed now), deleted records included; null when unknown.</summary>
    public IReadOnlyDictionary<string, object?>? Get(string sobject, string id)
    {
        var type = Type(sobject);
        var record = Store.Find(type, Normalize(id));
        return record is null ? null : Copy(Store.View(type, record));
    }

    /// <summary>All records of a type in id order.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, object?>> List(string sobject, bool includeDeleted = false)
    {
        var type = Type(sobject);
        return Store.Snapshot(type).Where(r => includeDeleted || !SalesforceStore.IsDeleted(type, r)).Select(r => Copy(Store.View(type, r))).ToList();
    }

    /// <summary>Number of records of a type.</summary>
    public int Count(string sobject, bool includeDeleted = false)
    {
        var type = Type(sobject);
        return includeDeleted ? Store.Count(type) : Store.Snapshot(type).Count(r => !SalesforceStore.IsDeleted(type, r));
    }

    /// <summary>Converts a lead as a CRM user would.</summary>
    public LeadConvertResult ConvertLead(LeadConvertRequest request)
    {
        var result = Store.ConvertLead(request, AsCrmUser);
        return Check(result, result.Errors);
    }

    /// <summary>Merges one or two records into a master (Lead, Contact or Account).</summary>
    public MergeResult Merge(string sobject, string masterId, params string[] mergeIds)
    {
        var result = Store.Merge(Type(sobject), masterId, mergeIds, null, AsCrmUser);
        return Check(result, result.Errors);
    }

    /// <summary>Adds a custom field (a schema change). <paramref name="type"/> is a describe type name (string, double, date, …); an External ID need not be unique (then upserts can match several records).</summary>
    public void AddField(string sobject, string name, string type, string? label = null, int? length = null, bool externalId = false, bool unique = false)
    {
        if (!FieldDefinition.TryParseWireType(type, out var fieldType) || fieldType is FieldType.Id)
        {
            throw new ArgumentException($"Unsupported field type '{type}'.", nameof(type));
        }
        if (!name.EndsWith("__c", StringComparison.Ordinal))
        {
            throw new ArgumentException("Custom field names end with __c.", nameof(name));
        }
        bool text = fieldType is FieldType.String or FieldType.TextArea or FieldType.Email or FieldType.Phone or FieldType.Url or FieldType.Picklist or FieldType.MultiPicklist;
        Store.AddField(Type(sobject), new FieldDefinition
        {
            Name = name,
            Label = label ?? name[..^3].Replace('_', ' '),
            Type = fieldType,
            Length = text ? length ?? 255 : 0,
            Precision = fieldType is FieldType.Double or FieldType.Currency ? 18 : 0,
            Scale = fieldType == FieldType.Currency ? 2 : 0,
            Digits = fieldType == FieldType.Int ? 9 : 0,
            Custom = true,
            ExternalId = externalId,
            Unique = unique,
            IdLookup = externalId,
            Nillable = fieldType != FieldType.Boolean,
            DefaultValue = fieldType == FieldType.Boolean ? false : null,
            DefaultedOnCreate = fieldType == FieldType.Boolean,
        });
    }

    /// <summary>Removes a custom field.</summary>
    public void RemoveField(string sobject, string name) => Store.RemoveField(Type(sobject), name);

    /// <summary>Renames a field (values kept).</summary>
    public void RenameField(string sobject, string name, string newName, string? newLabel = null) => Store.RenameField(Type(sobject), name, newName, newLabel);

    /// <summary>Changes a field's type (values converted, or nulled when they do not convert).</summary>
    public void ChangeFieldType(string sobject, string name, string type, int? length = null)
    {
        if (!FieldDefinition.TryParseWireType(type, out var fieldType) || fieldType is FieldType.Id)
        {
            throw new ArgumentException($"Unsupported field type '{type}'.", nameof(type));
        }
        Store.ChangeFieldType(Type(sobject), name, fieldType, length);
    }

    /// <summary>Generates records deterministically.</summary>
    public DataSeeder.SeedSummary Seed(SeedPlan plan, string seedValue = "crmsync") => DataSeeder.Seed(Store, plan, seedValue, _org.AdminUser.Id);

    private static Dictionary<string, object?> Copy(RecordView view) =>
        view.ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
}
