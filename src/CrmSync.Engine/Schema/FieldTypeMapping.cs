using CrmSync.Engine.Crm;
using CrmSync.Engine.Store;

namespace CrmSync.Engine.Schema;

/// <summary>The kind of value a field holds, for deciding whether two fields may share one column.</summary>
public enum FieldTypeFamily
{
    /// <summary>Free or constrained text: string, textarea, email, phone, url, picklist, multi-select picklist.</summary>
    Text,
    /// <summary>A record id or a lookup (reference) to one.</summary>
    Identifier,
    Boolean,
    /// <summary>Whole numbers (int, long).</summary>
    WholeNumber,
    /// <summary>Floating numbers (double, percent).</summary>
    Number,
    /// <summary>Money, kept as an exact decimal.</summary>
    Money,
    Date,
    DateTime,
    Time,
    /// <summary>A type CrmSync does not know; stored as text and shared with nothing else.</summary>
    Other,
}

/// <summary>
/// How a CRM field type becomes a SQLite column:
/// <list type="bullet">
/// <item>TEXT: id, string, textarea, email, phone, url, picklist, multi-select picklist (';'-separated as the CRM sends it),
/// reference, and unknown types;</item>
/// <item>INTEGER: boolean (0/1), int, long;</item>
/// <item>REAL: double, percent;</item>
/// <item>NUMERIC: currency. NUMERIC keeps money comparable and summable in plain SQL (<c>WHERE Amount &gt; 1000</c>,
/// <c>ORDER BY Amount</c>, which TEXT would compare as strings) and stores every value of up to 15 significant digits
/// exactly (SQLite converts the decimal text the pull binds to an INTEGER or a REAL that reads back as the same decimal).
/// The pull reports a currency value with more significant digits as one that no longer fits;</item>
/// <item>TEXT in ISO-8601: date (<c>yyyy-MM-dd</c>), datetime (UTC, <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>), time (<c>HH:mm:ss.fff</c>).</item>
/// </list>
/// Compound fields (Salesforce <c>address</c> and <c>location</c>) are not created: their components (Street, City,
/// Latitude, ...) are fields of their own.
/// </summary>
public static class FieldTypeMapping
{
    /// <summary>The SQLite storage class of a column created for a field of <paramref name="type"/>.</summary>
    public static SqliteColumnType SqliteTypeOf(CrmFieldType type) => type switch
    {
        CrmFieldType.Boolean or CrmFieldType.Integer or CrmFieldType.Long => SqliteColumnType.Integer,
        CrmFieldType.Double or CrmFieldType.Percent => SqliteColumnType.Real,
        CrmFieldType.Currency => SqliteColumnType.Numeric,
        _ => SqliteColumnType.Text,
    };

    /// <summary>The family of <paramref name="type"/>.</summary>
    public static FieldTypeFamily FamilyOf(CrmFieldType type) => type switch
    {
        CrmFieldType.String or CrmFieldType.TextArea or CrmFieldType.Email or CrmFieldType.Phone or CrmFieldType.Url
            or CrmFieldType.Picklist or CrmFieldType.MultiPicklist => FieldTypeFamily.Text,
        CrmFieldType.Id or CrmFieldType.Reference => FieldTypeFamily.Identifier,
        CrmFieldType.Boolean => FieldTypeFamily.Boolean,
        CrmFieldType.Integer or CrmFieldType.Long => FieldTypeFamily.WholeNumber,
        CrmFieldType.Double or CrmFieldType.Percent => FieldTypeFamily.Number,
        CrmFieldType.Currency => FieldTypeFamily.Money,
        CrmFieldType.Date => FieldTypeFamily.Date,
        CrmFieldType.DateTime => FieldTypeFamily.DateTime,
        CrmFieldType.Time => FieldTypeFamily.Time,
        _ => FieldTypeFamily.Other,
    };

    /// <summary>
    /// True when fields of the two types may share one column: the same SQLite storage class and the same family
    /// (email and email, string and picklist; never boolean and string, never two unknown types).
    /// </summary>
    public static bool AreCompatible(CrmFieldType a, CrmFieldType b) =>
        SqliteTypeOf(a) == SqliteTypeOf(b) && FamilyOf(a) == FamilyOf(b) && FamilyOf(a) != FieldTypeFamily.Other;

    /// <summary>True for compound fields that CrmSync does not create (their components are separate fields).</summary>
    public static bool IsCompound(CrmFieldSchema field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.Type == CrmFieldType.Other &&
               (string.Equals(field.NativeType, "address", StringComparison.OrdinalIgnoreCase) ||
                string.Equals(field.NativeType, "location", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The neutral type of a catalogued native type name (as stored in the catalog: Salesforce describe types such as
    /// <c>email</c>, <c>int</c>, <c>currency</c>; Dynamics attribute types such as <c>Money</c>, <c>Lookup</c>).
    /// </summary>
    public static CrmFieldType ParseNativeType(string nativeType)
    {
        ArgumentNullException.ThrowIfNull(nativeType);
        return nativeType.Trim().ToLowerInvariant() switch
        {
            "id" or "uniqueidentifier" => CrmFieldType.Id,
            "string" or "combobox" or "encryptedstring" => CrmFieldType.String,
            "textarea" or "memo" => CrmFieldType.TextArea,
            "email" => CrmFieldType.Email,
            "phone" => CrmFieldType.Phone,
            "url" => CrmFieldType.Url,
            "picklist" or "state" or "status" => CrmFieldType.Picklist,
            "multipicklist" or "multiselectpicklist" => CrmFieldType.MultiPicklist,
            "boolean" => CrmFieldType.Boolean,
            "int" or "integer" => CrmFieldType.Integer,
            "long" or "bigint" => CrmFieldType.Long,
            "double" or "decimal" => CrmFieldType.Double,
            "currency" or "money" => CrmFieldType.Currency,
            "percent" => CrmFieldType.Percent,
            "date" or "dateonly" => CrmFieldType.Date,
            "datetime" => CrmFieldType.DateTime,
            "time" => CrmFieldType.Time,
            "reference" or "lookup" or "customer" or "owner" => CrmFieldType.Reference,
            _ => CrmFieldType.Other,
        };
    }

    /// <summary>
    /// Which way a field's values flow by default: TwoWay only when the object is two-way and the CRM lets the sync
    /// user write the field (updateable or createable) and it is not calculated (formula, roll-up); CrmToLocal otherwise.
    /// </summary>
    public static MappingDirection DefaultDirection(bool objectIsTwoWay, bool createable, bool updateable, bool calculated) =>
        objectIsTwoWay && (createable || updateable) && !calculated ? MappingDirection.TwoWay : MappingDirection.CrmToLocal;
}
