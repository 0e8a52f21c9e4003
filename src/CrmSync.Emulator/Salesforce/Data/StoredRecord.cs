using System.Collections;
using System.Diagnostics.CodeAnalysis;
using CrmSync.Emulator.Salesforce.Schema;
using CrmSync.Emulator.Salesforce.Soql;

namespace CrmSync.Emulator.Salesforce.Data;

/// <summary>
/// One version of a record. Immutable: every write stores a new instance, so query cursors and bulk jobs can hold
/// consistent snapshots by reference. Values are indexed by <see cref="FieldDefinition.Ordinal"/>.
/// </summary>
public sealed class StoredRecord
{
    /// <summary>Creates a record version.</summary>
    public StoredRecord(string id, object?[] values)
    {
        Id = id;
        Values = values;
    }

    /// <summary>18-character id.</summary>
    public string Id { get; }

    internal object?[] Values { get; }

    /// <summary>The stored value of a field slot (null past the end, e.g. for fields added later).</summary>
    public object? Get(FieldDefinition field) => field.Ordinal < Values.Length ? Values[field.Ordinal] : null;

    /// <summary>A copy of the value array sized for <paramref name="slotCount"/> slots.</summary>
    internal object?[] CopyValues(int slotCount)
    {
        var copy = new object?[Math.Max(slotCount, Values.Length)];
        Array.Copy(Values, copy, Values.Length);
        return copy;
    }
}

/// <summary>
/// A read view of a record as the API shows it: stored values plus fields computed on read (formula fields, the
/// compound person Name). Keys are field API names, looked up case-insensitively.
/// </summary>
public sealed class RecordView : ISoqlIndexedRow
{
    private readonly FieldSet _fields;
    private readonly DateOnly _today;

    /// <summary>Creates a view.</summary>
    public RecordView(SObjectDefinition sobject, FieldSet fields, StoredRecord record, DateOnly today)
    {
        SObject = sobject;
        _fields = fields;
        Record = record;
        _today = today;
    }

    /// <summary>The record's type.</summary>
    public SObjectDefinition SObject { get; }

    /// <summary>The stored version.</summary>
    public StoredRecord Record { get; }

    /// <summary>The record id.</summary>
    public string Id => Record.Id;

    /// <summary>The value of a field as the API shows it.</summary>
    public object? ValueOf(FieldDefinition field)
    {
        if (field.IsCompoundName)
        {
            var first = _fields.Find("FirstName") is { } f ? Record.Get(f) as string : null;
            var last = _fields.Find("LastName") is { } l ? Record.Get(l) as string : null;
            if (first is null && last is null)
            {
                return null;
            }
            return string.IsNullOrEmpty(first) ? last : string.IsNullOrEmpty(last) ? first : first + " " + last;
        }
        if (field.Formula is not null)
        {
            return FormulaEvaluator.Evaluate(field.Formula, this, _today);
        }
        return Record.Get(field);
    }

    /// <inheritdoc />
    public object Shape => _fields;

    /// <inheritdoc />
    public int PositionOf(string field) => _fields.Find(field) is { } definition ? IndexOf(_fields.Fields, definition) : -1;

    /// <inheritdoc />
    public object? ValueAt(int position) => ValueOf(_fields.Fields[position]);

    private static int IndexOf(IReadOnlyList<FieldDefinition> fields, FieldDefinition field)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            if (ReferenceEquals(fields[i], field))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The value of a field by name (null when absent).</summary>
    public object? ValueOf(string name) => _fields.Find(name) is { } field ? ValueOf(field) : null;

    /// <inheritdoc />
    public object? this[string key] => _fields.Find(key) is { } field ? ValueOf(field) : throw new KeyNotFoundException(key);

    /// <inheritdoc />
    public IEnumerable<string> Keys => _fields.Fields.Select(f => f.Name);

    /// <inheritdoc />
    public IEnumerable<object?> Values => _fields.Fields.Select(ValueOf);

    /// <inheritdoc />
    public int Count => _fields.Fields.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => _fields.Find(key) is not null;

    /// <inheritdoc />
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object? value)
    {
        if (_fields.Find(key) is { } field)
        {
            value = ValueOf(field);
            return true;
        }
        value = null;
        return false;
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() =>
        _fields.Fields.Select(f => new KeyValuePair<string, object?>(f.Name, ValueOf(f))).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Evaluates the emulator's formula fields (day counts that change with the clock, not with writes).</summary>
internal static class FormulaEvaluator
{
    public static object? Evaluate(string formula, RecordView record, DateOnly today)
    {
        // Supported shapes: "TODAY() - DATEVALUE(F)" and "TODAY() - BLANKVALUE(A, DATEVALUE(B))".
        DateOnly? start = null;
        if (formula.Contains("BLANKVALUE(", StringComparison.Ordinal))
        {
            string inner = Between(formula, "BLANKVALUE(", ")");
            var parts = inner.Split(',', 2, StringSplitOptions.TrimEntries);
            start = AsDate(record.ValueOf(parts[0])) ?? AsDate(record.ValueOf(Between(parts[1] + ")", "DATEVALUE(", ")")));
        }
        else if (formula.Contains("DATEVALUE(", StringComparison.Ordinal))
        {
            start = AsDate(record.ValueOf(Between(formula, "DATEVALUE(", ")")));
        }
        return start is { } s ? (decimal)(today.DayNumber - s.DayNumber) : null;
    }

    private static DateOnly? AsDate(object? value) => value switch
    {
        DateOnly d => d,
        DateTime t => DateOnly.FromDateTime(t),
        _ => null,
    };

    private static string Between(string text, string open, string close)
    {
        int start = text.IndexOf(open, StringComparison.Ordinal) + open.Length;
        int end = text.IndexOf(close, start, StringComparison.Ordinal);
        return text[start..end].Trim();
    }
}
