using System.Globalization;
using System.Text.Json;

namespace CrmSync.Emulator.Salesforce.Soql;

/// <summary>
/// One row of a query result, projected to the selected fields in SELECT order with the schema's canonical
/// names. Field values are null, string, bool, long, decimal, double, UTC <see cref="DateTime"/>,
/// <see cref="DateOnly"/>, or a nested <see cref="SoqlRecord"/> for a relationship (Owner.Name).
/// </summary>
public sealed class SoqlRecord
{
    /// <summary>Creates a record.</summary>
    public SoqlRecord(string objectType, string? id, IReadOnlyList<KeyValuePair<string, object?>> fields)
    {
        ObjectType = objectType;
        Id = id;
        Fields = fields;
    }

    /// <summary>The sObject type for <c>attributes.type</c> (<c>AggregateResult</c> for COUNT(field) queries).</summary>
    public string ObjectType { get; }

    /// <summary>The record id for <c>attributes.url</c>, whether or not Id was selected; null for aggregates.</summary>
    public string? Id { get; }

    /// <summary>The selected fields in SELECT order.</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> Fields { get; }

    /// <summary>The value of a field by canonical name (ordinal-ignore-case), or null.</summary>
    public object? this[string field] =>
        Fields.FirstOrDefault(f => string.Equals(f.Key, field, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>
    /// Writes the record as Salesforce's REST API does:
    /// <c>{"attributes":{"type":"Lead","url":"/services/data/v{apiVersion}/sobjects/Lead/{Id}"},"Id":…,"Owner":{"attributes":…,"Name":…}}</c>;
    /// datetimes as <c>2022-08-30T11:25:21.000+0000</c>, dates as <c>2022-08-30</c>. Other strings are
    /// escaped by the writer's encoder (use <c>JavaScriptEncoder.UnsafeRelaxedJsonEscaping</c> to keep them readable).
    /// </summary>
    /// <param name="writer">The JSON writer.</param>
    /// <param name="apiVersion">The version in the request path, for example <c>59.0</c>.</param>
    public void WriteJson(Utf8JsonWriter writer, string apiVersion)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteStartObject("attributes");
        writer.WriteString("type", ObjectType);
        if (Id is not null)
        {
            writer.WriteString("url", $"/services/data/v{apiVersion}/sobjects/{ObjectType}/{Id}");
        }

        writer.WriteEndObject();
        foreach (var (name, value) in Fields)
        {
            writer.WritePropertyName(name);
            WriteValue(writer, value, apiVersion);
        }

        writer.WriteEndObject();
    }

    /// <summary>Formats a datetime the way Salesforce's REST API returns it.</summary>
    public static string FormatDateTime(DateTime utc) =>
        utc.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'", CultureInfo.InvariantCulture);

    private static void WriteValue(Utf8JsonWriter writer, object? value, string apiVersion)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case SoqlRecord nested:
                nested.WriteJson(writer, apiVersion);
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case decimal m:
                writer.WriteNumberValue(m);
                break;
            case double d:
                writer.WriteNumberValue(d);
                break;
            case DateTime dt:
                // Raw, so that the '+' of "+0000" is not escaped by the writer's default encoder.
                writer.WriteRawValue($"\"{FormatDateTime(dt)}\"", skipInputValidation: true);
                break;
            case DateOnly date:
                writer.WriteStringValue(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                break;
            default:
                throw new InvalidOperationException($"Cannot write a {value.GetType().Name} in a query result.");
        }
    }
}
