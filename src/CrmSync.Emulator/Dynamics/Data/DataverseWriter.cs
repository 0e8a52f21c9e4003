using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Dynamics.Schema;

namespace CrmSync.Emulator.Dynamics.Data;

/// <summary>
/// Validated writes with Dataverse's rules and error codes: payload parsing (columns, <c>@odata.bind</c> lookups),
/// type and length checks, required columns, alternate-key uniqueness, defaults, computed columns (fullname),
/// authorship (createdby/modifiedby/modifiedon from the caller) and row versions; QualifyLead, Merge and
/// marketing-list membership.
/// </summary>
public sealed class DataverseWriter
{
    private readonly DynamicsOrg _org;

    public DataverseWriter(DynamicsOrg org) => _org = org;

    private DataverseStore Store => _org.Store;

    private DateTime Now => _org.Clock.GetUtcNow().UtcDateTime;

    public static DataverseException NotFound(EntityDef def, Guid id) =>
        new(404, "0x80040217", $"{def.LogicalName} With Id = {id} Does Not Exist");

    private static DataverseException BadProperty(EntityDef def, string name) =>
        new(400, "0x80060888", $"The property '{name}' does not exist on type 'Microsoft.Dynamics.CRM.{def.LogicalName}'. Make sure to only use property names that are defined by the type or mark the type as open type.");

    // ---- payload --------------------------------------------------------------------------------------------------

    /// <summary>Parses a JSON entity payload into column values (lookups as <see cref="EntityRef"/>).</summary>
    public Dictionary<string, object?> Parse(EntityDef def, JsonObject body, Func<string, string?>? resolveReference = null)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, node) in body)
        {
            int at = key.IndexOf('@', StringComparison.Ordinal);
            if (at == 0)
            {
                continue; // @odata.type, @odata.etag …
            }
            if (at > 0)
            {
                string annotation = key[(at + 1)..];
                if (!annotation.Equals("odata.bind", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                string nav = key[..at];
                var (attr, target) = Navigation(def, nav) ?? throw new DataverseException(400, "0x80060888",
                    $"An undeclared property '{nav}' which only has property annotations in the payload but no property value was found in the payload. In OData, only declared navigation properties and declared named streams can be represented as properties without values.");
                if (node is null)
                {
                    values[attr.LogicalName] = null;
                    continue;
                }
                string reference = node is JsonValue v && v.TryGetValue<string>(out var s) ? s
                    : throw new DataverseException(400, "0x80060888", $"The value of '{key}' must be a URL of an entity.");
                if (resolveReference?.Invoke(reference) is { } resolved)
                {
                    reference = resolved;
                }
                values[attr.LogicalName] = BindReference(attr, target, reference);
                continue;
            }
            if (key.StartsWith('_') && key.EndsWith("_value", StringComparison.Ordinal) && def.ByWebName(key) is not null)
            {
                throw new DataverseException(400, "0x80060888", "CRM do not support direct update of Entity Reference properties, Use Navigation properties instead.");
            }
            var column = def.Attribute(key);
            if (column is null || column.IsLookup)
            {
                throw BadProperty(def, key);
            }
            values[column.LogicalName] = Coerce(def, column, node);
        }
        return values;
    }

    /// <summary>A single-valued navigation property (lookup logical/schema name, or <c>{lookup}_{target}</c>) and its target.</summary>
    public static (AttributeDef Attr, string? Target)? Navigation(EntityDef def, string nav)
    {
        foreach (var a in def.Attributes.Where(a => a.IsLookup))
        {
            if (nav.Equals(a.LogicalName, StringComparison.OrdinalIgnoreCase) || nav.Equals(a.SchemaName, StringComparison.OrdinalIgnoreCase))
            {
                return (a, a.Targets.Count == 1 ? a.Targets[0] : null);
            }
            foreach (var t in a.Targets)
            {
                if (nav.Equals(a.LogicalName + "_" + t, StringComparison.OrdinalIgnoreCase))
                {
                    return (a, t);
                }
            }
        }
        return null;
    }

    private EntityRef BindReference(AttributeDef attr, string? target, string reference)
    {
        // "/accounts(guid)", "accounts(guid)" or an absolute URL ending in accounts(guid)
        string r = reference;
        int slash = r.LastIndexOf('/', r.IndexOf('(') is var p and >= 0 ? p : r.Length - 1);
        if (slash >= 0)
        {
            r = r[(slash + 1)..];
        }
        int open = r.IndexOf('(');
        if (open <= 0 || !r.EndsWith(')'))
        {
            throw new DataverseException(400, "0x80060888", $"The URI '{reference}' is not valid because it is not based on the service root.");
        }
        string set = r[..open];
        string key = r[(open + 1)..^1];
        var targetDef = Store.EntityBySet(set) ?? throw new DataverseException(400, "0x8006088a", $"Resource not found for the segment '{set}'.");
        if (!attr.Targets.Contains(targetDef.LogicalName) || (target is not null && target != targetDef.LogicalName))
        {
            throw new DataverseException(400, "0x80060888", $"The navigation property '{attr.LogicalName}' cannot refer to a record of type '{targetDef.LogicalName}'.");
        }
        Guid id;
        if (!Guid.TryParse(key, out id))
        {
            var found = FindByKeyText(targetDef, key) ?? throw new DataverseException(404, "0x80040217", $"A record with the specified key values does not exist in {targetDef.LogicalName} entity");
            id = found.Id;
        }
        if (Store.Find(targetDef.LogicalName, id) is null)
        {
            throw NotFound(targetDef, id);
        }
        return new EntityRef(id, targetDef.LogicalName);
    }

    /// <summary>Parses key segment text like <c>new_crmsynckey='abc'</c> and finds the record.</summary>
    public DvRecord? FindByKeyText(EntityDef def, string keyText) => FindByKey(def, ParseKey(def, keyText));

    /// <summary>Parses <c>a='x',b=2</c> into key values, checking that an Active alternate key covers exactly those columns.</summary>
    public static Dictionary<string, object?> ParseKey(EntityDef def, string keyText)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var part in SplitKey(keyText))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0)
            {
                throw new DataverseException(400, "0x80060888", $"Bad Request - Error in query syntax.");
            }
            string name = part[..eq].Trim();
            string raw = part[(eq + 1)..].Trim();
            var attr = def.Attribute(name) ?? throw new DataverseException(400, "0x80060888", $"The key '{name}' is not a valid alternate key of '{def.LogicalName}'.");
            object? value = raw.StartsWith('\'') && raw.EndsWith('\'') && raw.Length >= 2 ? raw[1..^1].Replace("''", "'", StringComparison.Ordinal)
                : decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? (object)d : raw;
            if (value is string s && s.IndexOfAny(['<', '>', '*', '%', '&', ':', '/', '\\']) >= 0)
            {
                throw new DataverseException(400, "0x80060888", $"The key value '{s}' contains an invalid character (< > * % & : / \\).");
            }
            values[attr.LogicalName] = value;
        }
        var key = def.Keys.FirstOrDefault(k => k.Attributes.Count == values.Count && k.Attributes.All(values.ContainsKey));
        if (key is null)
        {
            throw new DataverseException(400, "0x80060888", $"The key specified for {def.LogicalName} is not a valid alternate key: {string.Join(",", values.Keys)}.");
        }
        if (key.Status != "Active")
        {
            throw new DataverseException(400, "0x80060888", $"The key '{key.LogicalName}' of '{def.LogicalName}' is not active (EntityKeyIndexStatus {key.Status}).");
        }
        return values;
    }

    private static IEnumerable<string> SplitKey(string text)
    {
        int start = 0;
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\'')
            {
                quoted = !quoted;
            }
            else if (text[i] == ',' && !quoted)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }

    public DvRecord? FindByKey(EntityDef def, IReadOnlyDictionary<string, object?> key)
    {
        lock (Store.Sync)
        {
            return Store.Snapshot(def.LogicalName).FirstOrDefault(r => key.All(kv =>
                r.Get(kv.Key) is { } v && kv.Value is { } k && Query.ODataFilter.CompareValues(v, k) == 0));
        }
    }

    private static object? Coerce(EntityDef def, AttributeDef attr, JsonNode? node)
    {
        if (node is null)
        {
            return null;
        }
        var element = node is JsonValue jv && jv.TryGetValue<JsonElement>(out var parsed) ? parsed : JsonSerializer.Deserialize<JsonElement>(node.ToJsonString());
        string Edm = attr.Kind switch
        {
            AttributeKind.String or AttributeKind.Memo => "Edm.String",
            AttributeKind.Integer or AttributeKind.Picklist or AttributeKind.State or AttributeKind.Status => "Edm.Int32",
            AttributeKind.BigInt => "Edm.Int64",
            AttributeKind.Decimal or AttributeKind.Money => "Edm.Decimal",
            AttributeKind.Double => "Edm.Double",
            AttributeKind.Boolean => "Edm.Boolean",
            AttributeKind.DateTime => attr.DateOnly ? "Edm.Date" : "Edm.DateTimeOffset",
            _ => "Edm.Guid",
        };
        DataverseException Wrong() => new(400, "0x80060888", $"Cannot convert the literal '{node.ToJsonString().Trim('"')}' to the expected type '{Edm}'.");
        try
        {
            switch (attr.Kind)
            {
                case AttributeKind.String or AttributeKind.Memo:
                    if (element.ValueKind != JsonValueKind.String)
                    {
                        throw Wrong();
                    }
                    string s = element.GetString()!;
                    if (attr.MaxLength is { } max && s.Length > max)
                    {
                        throw new DataverseException(400, "0x80044331",
                            $"A validation error occurred.  The length of the '{attr.LogicalName}' attribute of the '{def.LogicalName}' entity exceeded the maximum allowed length of '{max}'.");
                    }
                    return s;
                case AttributeKind.Integer or AttributeKind.Picklist or AttributeKind.State or AttributeKind.Status:
                    if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out int i))
                    {
                        throw Wrong();
                    }
                    if (attr.Kind is AttributeKind.Picklist or AttributeKind.State or AttributeKind.Status && attr.Options.All(o => o.Value != i))
                    {
                        throw new DataverseException(400, "0x8004431a",
                            $"A validation error occurred. The value {i} of '{attr.LogicalName}' on record of type '{def.LogicalName}' is outside the valid range. Accepted Values: {string.Join(",", attr.Options.Select(o => o.Value))}");
                    }
                    return i;
                case AttributeKind.BigInt:
                    return element.ValueKind == JsonValueKind.Number ? element.GetInt64() : throw Wrong();
                case AttributeKind.Decimal or AttributeKind.Money:
                    return element.ValueKind == JsonValueKind.Number ? element.GetDecimal() : throw Wrong();
                case AttributeKind.Double:
                    return element.ValueKind == JsonValueKind.Number ? element.GetDouble() : throw Wrong();
                case AttributeKind.Boolean:
                    return element.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw Wrong() };
                case AttributeKind.DateTime:
                    if (element.ValueKind != JsonValueKind.String)
                    {
                        throw Wrong();
                    }
                    string text = element.GetString()!;
                    if (attr.DateOnly && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                    {
                        return date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
                    }
                    if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var dto))
                    {
                        var utc = dto.UtcDateTime;
                        return attr.DateOnly ? utc.Date : new DateTime(utc.Ticks - utc.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
                    }
                    throw Wrong();
                default:
                    return element.ValueKind == JsonValueKind.String && Guid.TryParse(element.GetString(), out var g) ? g : throw Wrong();
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            throw Wrong();
        }
    }

    // ---- create / update / delete ---------------------------------------------------------------------------------

    /// <summary>Creates a row; returns it.</summary>
    public DvRecord Create(EntityDef def, Dictionary<string, object?> values, Guid caller, Guid? id = null)
    {
        lock (Store.Sync)
        {
            if (values.Remove(def.PrimaryIdAttribute, out var pk) && pk is Guid given)
            {
                id ??= given;
            }
            var newId = id ?? NewId();
            if (Store.Find(def.LogicalName, newId) is not null)
            {
                throw new DataverseException(412, "0x80040237", "Cannot insert duplicate key.");
            }
            var record = new DvRecord { Id = newId };
            record.Values[def.PrimaryIdAttribute] = newId;
            foreach (var attr in def.Attributes)
            {
                if (attr.DefaultValue is not null && !values.ContainsKey(attr.LogicalName))
                {
                    record.Values[attr.LogicalName] = attr.DefaultValue;
                }
            }
            foreach (var (k, v) in values)
            {
                var attr = def.Attribute(k);
                if (attr is null || !attr.IsValidForCreate)
                {
                    continue;
                }
                record.Values[k] = v;
            }
            if (def.Attribute("ownerid") is not null && record.Get("ownerid") is null)
            {
                record.Values["ownerid"] = new EntityRef(caller, "systemuser");
            }
            foreach (var attr in def.Attributes)
            {
                bool required = attr.RequiredLevel == "SystemRequired" || (attr.RequiredLevel == "ApplicationRequired" && _org.Settings.EnforceApplicationRequired);
                if (required && attr.IsValidForCreate && !attr.IsPrimaryId && record.Get(attr.LogicalName) is null or "")
                {
                    throw new DataverseException(400, "0x80040203",
                        $"A validation error occurred. The value for the required attribute '{attr.LogicalName}' of the '{def.LogicalName}' entity is missing.");
                }
            }
            NormalizeState(def, record, values);
            var now = Now;
            record.Values["createdon"] = now;
            record.Values["createdby"] = new EntityRef(caller, "systemuser");
            Computed(def, record);
            CheckKeys(def, record);
            Stamp(def, record, caller, now);
            Store.Put(def.LogicalName, record);
            AfterWrite(def, record, null);
            return record;
        }
    }

    private static long _sequence;

    private static Guid NewId()
    {
        // Dataverse ids are sequential GUIDs: time-ordered ids keep new rows after old ones in key order.
        long n = Interlocked.Increment(ref _sequence);
        uint seconds = (uint)(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1_500_000_000);
        var random = System.Security.Cryptography.RandomNumberGenerator.GetBytes(8);
        return new Guid(seconds, (ushort)(n >> 16), (ushort)n, random[0], random[1], random[2], random[3], random[4], random[5], random[6], random[7]);
    }

    /// <summary>Updates columns of a row; returns it.</summary>
    public DvRecord Update(EntityDef def, Guid id, Dictionary<string, object?> values, Guid caller)
    {
        lock (Store.Sync)
        {
            var existing = Store.Find(def.LogicalName, id) ?? throw NotFound(def, id);
            var record = existing.Clone();
            values.Remove(def.PrimaryIdAttribute);
            foreach (var (k, v) in values)
            {
                var attr = def.Attribute(k);
                if (attr is null || !attr.IsValidForUpdate)
                {
                    continue;
                }
                if (attr.RequiredLevel == "SystemRequired" && v is null)
                {
                    throw new DataverseException(400, "0x80040203", $"A validation error occurred. The value for the required attribute '{attr.LogicalName}' of the '{def.LogicalName}' entity cannot be null.");
                }
                record.Values[k] = v;
            }
            NormalizeState(def, record, values);
            Computed(def, record);
            CheckKeys(def, record);
            Stamp(def, record, caller, Now);
            Store.Put(def.LogicalName, record);
            AfterWrite(def, record, existing);
            return record;
        }
    }

    /// <summary>Writes system-managed columns (qualify, merge) without validation.</summary>
    public DvRecord SystemUpdate(EntityDef def, Guid id, IReadOnlyDictionary<string, object?> values, Guid caller)
    {
        lock (Store.Sync)
        {
            var record = (Store.Find(def.LogicalName, id) ?? throw NotFound(def, id)).Clone();
            foreach (var (k, v) in values)
            {
                record.Values[k] = v;
            }
            Computed(def, record);
            Stamp(def, record, caller, Now);
            Store.Put(def.LogicalName, record);
            return record;
        }
    }

    public void Delete(EntityDef def, Guid id, Guid caller)
    {
        lock (Store.Sync)
        {
            var existing = Store.Find(def.LogicalName, id) ?? throw NotFound(def, id);
            Store.Remove(def.LogicalName, id, Now);
            if (def.LogicalName is "list" or "lead" or "contact" or "account")
            {
                foreach (var m in Store.Snapshot("listmember").Where(m => m.Get(def.LogicalName == "list" ? "listid" : "entityid") is EntityRef r && r.Id == id))
                {
                    Store.Remove("listmember", m.Id, Now);
                    if (def.LogicalName != "list")
                    {
                        RecountList(((EntityRef)m.Get("listid")!).Id, caller);
                    }
                }
            }
            if (def.LogicalName == "listmember" && existing.Get("listid") is EntityRef list)
            {
                RecountList(list.Id, caller);
            }
        }
    }

    private void Stamp(EntityDef def, DvRecord record, Guid caller, DateTime now)
    {
        record.Values["modifiedon"] = now;
        record.Values["modifiedby"] = new EntityRef(caller, "systemuser");
        record.Version = Store.NextVersion();
        if (def.Attribute("versionnumber") is not null)
        {
            record.Values["versionnumber"] = record.Version;
        }
    }

    private static void NormalizeState(EntityDef def, DvRecord record, IReadOnlyDictionary<string, object?> given)
    {
        var status = def.Attribute("statuscode");
        if (status is null || def.Attribute("statecode") is null)
        {
            return;
        }
        int state = record.Get("statecode") as int? ?? 0;
        if (given.ContainsKey("statecode") && !given.ContainsKey("statuscode"))
        {
            record.Values["statuscode"] = status.Options.FirstOrDefault(o => o.State == state)?.Value ?? record.Get("statuscode");
        }
        else if (record.Get("statuscode") is int code && status.Options.FirstOrDefault(o => o.Value == code) is { State: { } owner } && owner != state)
        {
            if (given.ContainsKey("statuscode") && !given.ContainsKey("statecode"))
            {
                record.Values["statecode"] = owner;
            }
            else
            {
                throw new DataverseException(400, "0x80040203", $"{code} is not a valid status code for state code {def.SchemaName}State.{state} on {def.LogicalName} with Id {record.Id}.");
            }
        }
    }

    private static void Computed(EntityDef def, DvRecord record)
    {
        if (def.LogicalName is "lead" or "contact" or "systemuser" && def.Attribute("fullname") is not null)
        {
            string full = string.Join(' ', new[] { record.Get("firstname") as string, record.Get("lastname") as string }.Where(s => !string.IsNullOrEmpty(s)));
            record.Values["fullname"] = full.Length == 0 ? null : full;
        }
        if (def.LogicalName == "listmember" && record.Get("entityid") is EntityRef member)
        {
            record.Values["entitytype"] = member.LogicalName;
        }
    }

    private void CheckKeys(EntityDef def, DvRecord record)
    {
        foreach (var key in def.Keys.Where(k => k.Status == "Active"))
        {
            var values = key.Attributes.ToDictionary(a => a, a => record.Get(a), StringComparer.Ordinal);
            if (values.Values.Any(v => v is null))
            {
                continue;
            }
            var other = FindByKey(def, values);
            if (other is not null && other.Id != record.Id)
            {
                string names = string.Join(", ", key.Attributes.Select(a => def.Attribute(a)?.DisplayName ?? a));
                throw new DataverseException(412, "0x80040237",
                    $"A record that has the attribute values {names} already exists. The entity key {key.LogicalName} requires that this set of attributes contains unique values. Select unique values and try again.");
            }
        }
    }

    private void AfterWrite(EntityDef def, DvRecord record, DvRecord? before)
    {
        if (def.LogicalName == "listmember" && record.Get("listid") is EntityRef list)
        {
            RecountList(list.Id, (record.Get("modifiedby") as EntityRef)?.Id ?? Guid.Empty);
        }
    }

    private void RecountList(Guid listId, Guid caller)
    {
        var listDef = Store.Entity("list")!;
        if (Store.Find("list", listId) is null)
        {
            return;
        }
        int count = Store.Snapshot("listmember").Count(m => m.Get("listid") is EntityRef r && r.Id == listId);
        SystemUpdate(listDef, listId, new Dictionary<string, object?> { ["membercount"] = count }, caller);
    }

    // ---- actions ----------------------------------------------------------------------------------------------------

    /// <summary>QualifyLead: creates the requested account/contact/opportunity with originatingleadid and closes the lead as Qualified.</summary>
    public List<(EntityDef Def, DvRecord Record)> QualifyLead(Guid leadId, bool createAccount, bool createContact, bool createOpportunity, int status, Guid caller)
    {
        lock (Store.Sync)
        {
            var leadDef = Store.Entity("lead")!;
            var lead = Store.Find("lead", leadId) ?? throw NotFound(leadDef, leadId);
            if (lead.Get("statecode") is int state && state != 0)
            {
                throw new DataverseException(400, "0x80040203", "The lead is closed. You cannot convert or qualify a lead that is already closed.");
            }
            if (leadDef.Attribute("statuscode")!.Options.FirstOrDefault(o => o.Value == status) is not { State: 1 })
            {
                throw new DataverseException(400, "0x80040203", $"{status} is not a valid status code for state code LeadState.Qualified on lead with Id {leadId}.");
            }
            var created = new List<(EntityDef, DvRecord)>();
            var origin = new EntityRef(leadId, "lead");
            DvRecord? account = null, contact = null;
            if (createAccount)
            {
                var def = Store.Entity("account")!;
                account = Create(def, Copy(lead, def, new()
                {
                    ["name"] = lead.Get("companyname") ?? lead.Get("fullname") ?? "Account",
                    ["telephone1"] = lead.Get("telephone1"),
                    ["websiteurl"] = lead.Get("websiteurl"),
                    ["address1_city"] = lead.Get("address1_city"),
                    ["address1_country"] = lead.Get("address1_country"),
                    ["industrycode"] = lead.Get("industrycode"),
                    ["revenue"] = lead.Get("revenue"),
                    ["numberofemployees"] = lead.Get("numberofemployees"),
                    ["originatingleadid"] = origin,
                }), caller);
                created.Add((def, account));
            }
            if (createContact)
            {
                var def = Store.Entity("contact")!;
                contact = Create(def, Copy(lead, def, new()
                {
                    ["firstname"] = lead.Get("firstname"),
                    ["lastname"] = lead.Get("lastname") ?? lead.Get("fullname") ?? "Contact",
                    ["emailaddress1"] = lead.Get("emailaddress1"),
                    ["telephone1"] = lead.Get("telephone1"),
                    ["mobilephone"] = lead.Get("mobilephone"),
                    ["jobtitle"] = lead.Get("jobtitle"),
                    ["address1_city"] = lead.Get("address1_city"),
                    ["address1_country"] = lead.Get("address1_country"),
                    ["donotemail"] = lead.Get("donotemail"),
                    ["donotbulkemail"] = lead.Get("donotbulkemail"),
                    ["originatingleadid"] = origin,
                    ["parentcustomerid"] = account is null ? null : new EntityRef(account.Id, "account"),
                }), caller);
                created.Add((def, contact));
            }
            if (createOpportunity)
            {
                var def = Store.Entity("opportunity")!;
                var customer = account is not null ? new EntityRef(account.Id, "account") : contact is not null ? new EntityRef(contact.Id, "contact") : null;
                var opp = Create(def, new Dictionary<string, object?>
                {
                    ["name"] = lead.Get("subject") ?? lead.Get("fullname") ?? "Opportunity",
                    ["customerid"] = customer,
                    ["parentaccountid"] = account is null ? null : new EntityRef(account.Id, "account"),
                    ["parentcontactid"] = contact is null ? null : new EntityRef(contact.Id, "contact"),
                    ["originatingleadid"] = origin,
                    ["new_synctomkto"] = lead.Get("new_synctomkto"),
                }, caller);
                created.Add((def, opp));
            }
            SystemUpdate(leadDef, leadId, new Dictionary<string, object?>
            {
                ["statecode"] = 1,
                ["statuscode"] = status,
                ["parentaccountid"] = account is null ? lead.Get("parentaccountid") : new EntityRef(account.Id, "account"),
                ["parentcontactid"] = contact is null ? lead.Get("parentcontactid") : new EntityRef(contact.Id, "contact"),
            }, caller);
            return created;
        }
    }

    private static Dictionary<string, object?> Copy(DvRecord lead, EntityDef def, Dictionary<string, object?> values)
    {
        if (def.Attribute("new_synctomkto") is not null)
        {
            values["new_synctomkto"] = lead.Get("new_synctomkto");
        }
        foreach (var key in values.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList())
        {
            values.Remove(key);
        }
        return values;
    }

    /// <summary>Merge: applies UpdateContent to the target, re-parents children, deactivates the subordinate with masterid set.</summary>
    public void Merge(EntityDef def, Guid targetId, Guid subordinateId, Dictionary<string, object?> updateContent, Guid caller)
    {
        if (def.LogicalName is not ("lead" or "contact" or "account"))
        {
            throw new DataverseException(400, "0x80040203", $"Merge is not supported for entity {def.LogicalName}.");
        }
        lock (Store.Sync)
        {
            if (targetId == subordinateId)
            {
                throw new DataverseException(400, "0x80040203", "The target and the subordinate record are the same record.");
            }
            _ = Store.Find(def.LogicalName, targetId) ?? throw NotFound(def, targetId);
            var sub = Store.Find(def.LogicalName, subordinateId) ?? throw NotFound(def, subordinateId);
            if (sub.Get("merged") is true)
            {
                throw new DataverseException(400, "0x80040203", "The subordinate record is already merged.");
            }
            if (updateContent.Count > 0)
            {
                Update(def, targetId, updateContent, caller);
            }
            var targetRef = new EntityRef(targetId, def.LogicalName);
            // Re-parent children that pointed at the subordinate.
            foreach (var other in Store.Entities)
            {
                foreach (var attr in other.Attributes.Where(a => a.IsLookup && a.Targets.Contains(def.LogicalName) && a.LogicalName is not ("masterid" or "originatingleadid")))
                {
                    foreach (var row in Store.Snapshot(other.LogicalName).Where(r => r.Get(attr.LogicalName) is EntityRef r2 && r2.Id == subordinateId))
                    {
                        if (other.LogicalName == "listmember")
                        {
                            var listId = ((EntityRef)row.Get("listid")!).Id;
                            bool already = Store.Snapshot("listmember").Any(m => m.Get("listid") is EntityRef l && l.Id == listId && m.Get("entityid") is EntityRef e && e.Id == targetId);
                            if (already)
                            {
                                Store.Remove("listmember", row.Id, Now);
                                RecountList(listId, caller);
                                continue;
                            }
                        }
                        SystemUpdate(other, row.Id, new Dictionary<string, object?> { [attr.LogicalName] = targetRef }, caller);
                    }
                }
            }
            var inactive = def.LogicalName == "lead"
                ? new Dictionary<string, object?> { ["statecode"] = 2, ["statuscode"] = 7 }
                : new Dictionary<string, object?> { ["statecode"] = 1, ["statuscode"] = 2 };
            inactive["merged"] = true;
            inactive["masterid"] = targetRef;
            SystemUpdate(def, subordinateId, inactive, caller);
        }
    }

    /// <summary>Adds a lead/contact/account to a static marketing list (listmember); idempotent. Returns the listmember.</summary>
    public DvRecord AddListMember(Guid listId, EntityRef member, Guid caller)
    {
        lock (Store.Sync)
        {
            var listDef = Store.Entity("list")!;
            var list = Store.Find("list", listId) ?? throw NotFound(listDef, listId);
            int expected = member.LogicalName switch { "account" => 1, "contact" => 2, "lead" => 4, _ => 0 };
            if (list.Get("createdfromcode") is int code && code != expected)
            {
                throw new DataverseException(400, "0x80040203", $"The member type {member.LogicalName} does not match the list's member type.");
            }
            if (Store.Find(member.LogicalName, member.Id) is null)
            {
                throw NotFound(Store.Entity(member.LogicalName)!, member.Id);
            }
            var existing = Store.Snapshot("listmember").FirstOrDefault(m => m.Get("listid") is EntityRef l && l.Id == listId && m.Get("entityid") is EntityRef e && e.Id == member.Id);
            if (existing is not null)
            {
                return existing;
            }
            return Create(Store.Entity("listmember")!, new Dictionary<string, object?>
            {
                ["listid"] = new EntityRef(listId, "list"),
                ["entityid"] = member,
            }, caller);
        }
    }

    public bool RemoveListMember(Guid listId, Guid memberId, Guid caller)
    {
        lock (Store.Sync)
        {
            var existing = Store.Snapshot("listmember").FirstOrDefault(m => m.Get("listid") is EntityRef l && l.Id == listId && m.Get("entityid") is EntityRef e && e.Id == memberId);
            if (existing is null)
            {
                return false;
            }
            Delete(Store.Entity("listmember")!, existing.Id, caller);
            return true;
        }
    }
}
