using System.Globalization;
using System.Text.Json.Nodes;
using CrmSync.Emulator.Dynamics.Data;
using CrmSync.Emulator.Dynamics.Schema;

namespace CrmSync.Emulator.Dynamics.Web;

/// <summary>Writes rows as Dataverse does: weak etag first, formatted-value and lookup annotations before each value.</summary>
public static class RecordJson
{
    public const string Formatted = "@OData.Community.Display.V1.FormattedValue";

    public static string Etag(long version) => "W/\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";

    /// <summary>The value a filter or orderby sees for a Web API property name.</summary>
    public static object? FilterValue(EntityDef def, DvRecord record, string name)
    {
        var attr = def.ByWebName(name);
        if (attr is null)
        {
            return null;
        }
        var v = record.Get(attr.LogicalName);
        return v is EntityRef r ? r.Id : v;
    }

    public static JsonNode? Value(AttributeDef attr, object? value) => value switch
    {
        null => null,
        EntityRef r => JsonValue.Create(r.Id.ToString()),
        Guid g => JsonValue.Create(g.ToString()),
        DateTime t => JsonValue.Create(attr.DateOnly ? t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        decimal d => JsonValue.Create(d),
        double d => JsonValue.Create(d),
        _ => JsonValue.Create(value.ToString()),
    };

    /// <summary>The formatted value of a column (labels, money, dates, numbers, lookup names), or null.</summary>
    public static string? FormattedValue(DataverseStore store, AttributeDef attr, object? value)
    {
        switch (value)
        {
            case null:
                return null;
            case EntityRef r:
                var target = store.Entity(r.LogicalName);
                return target is null ? null : store.Find(r.LogicalName, r.Id)?.Get(target.PrimaryNameAttribute) as string;
            case bool b:
                return attr.Options.FirstOrDefault(o => o.Value == (b ? 1 : 0))?.Label ?? (b ? "Yes" : "No");
            case int i when attr.Kind is AttributeKind.Picklist or AttributeKind.State or AttributeKind.Status:
                return attr.Options.FirstOrDefault(o => o.Value == i)?.Label;
            case int i:
                return i.ToString("N0", CultureInfo.InvariantCulture);
            case long l:
                return l.ToString("N0", CultureInfo.InvariantCulture);
            case decimal d when attr.Kind == AttributeKind.Money:
                return "$" + d.ToString("N2", CultureInfo.InvariantCulture);
            case decimal d:
                return d.ToString("N2", CultureInfo.InvariantCulture);
            case double d:
                return d.ToString("N2", CultureInfo.InvariantCulture);
            case DateTime t:
                return attr.DateOnly ? t.ToString("M/d/yyyy", CultureInfo.InvariantCulture) : t.ToString("M/d/yyyy h:mm tt", CultureInfo.InvariantCulture);
            default:
                return null;
        }
    }

    /// <summary>Serializes a row with the selected columns (null: every readable column) and optional annotations.</summary>
    public static JsonObject Write(DataverseStore store, EntityDef def, DvRecord record, IReadOnlyList<AttributeDef>? select, Func<string, bool>? wants, string? context = null)
    {
        var o = new JsonObject();
        if (context is not null)
        {
            o["@odata.context"] = context;
        }
        o["@odata.etag"] = Etag(record.Version);
        var columns = select ?? def.Attributes.Where(a => a.IsValidForRead).ToList();
        foreach (var attr in columns)
        {
            var value = record.Get(attr.LogicalName);
            string name = attr.WebName;
            if (wants is not null && value is not null)
            {
                if (wants(Formatted[1..]) && FormattedValue(store, attr, value) is { } formatted)
                {
                    o[name + Formatted] = formatted;
                }
                if (value is EntityRef r)
                {
                    if (wants("Microsoft.Dynamics.CRM.associatednavigationproperty"))
                    {
                        o[name + "@Microsoft.Dynamics.CRM.associatednavigationproperty"] = attr.Targets.Count > 1 ? attr.LogicalName + "_" + r.LogicalName : attr.SchemaName;
                    }
                    if (wants("Microsoft.Dynamics.CRM.lookuplogicalname"))
                    {
                        o[name + "@Microsoft.Dynamics.CRM.lookuplogicalname"] = r.LogicalName;
                    }
                }
            }
            o[name] = Value(attr, value);
        }
        if (select is not null && !select.Any(a => a.LogicalName == def.PrimaryIdAttribute))
        {
            o[def.PrimaryIdAttribute] = record.Id.ToString();
        }
        return o;
    }
}
