using System.Collections;
using System.Globalization;
using System.Reflection;

namespace CrmSync.Cli.Output;

/// <summary>
/// Renders result objects for people: scalar properties as an aligned "Name : Value" list (like Format-List), then
/// each non-empty collection property as a table with one column per scalar property of its items.
/// Dates are ISO 8601; numbers use the invariant culture so output is the same on every machine.
/// </summary>
public static class TextOutput
{
    /// <summary>Writes <paramref name="value"/> to <paramref name="writer"/>.</summary>
    public static void Write(TextWriter writer, object value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);

        if (IsScalar(value.GetType()))
        {
            writer.WriteLine(FormatScalar(value));
            return;
        }

        var properties = ReadableProperties(value.GetType());
        var scalars = properties.Where(p => IsScalar(p.PropertyType)).ToList();
        int width = scalars.Count == 0 ? 0 : scalars.Max(p => p.Name.Length);
        foreach (PropertyInfo property in scalars)
            writer.WriteLine($"{property.Name.PadRight(width)} : {FormatScalar(property.GetValue(value))}".TrimEnd());

        foreach (PropertyInfo property in properties.Where(p => !IsScalar(p.PropertyType)))
        {
            object? nested = property.GetValue(value);
            if (nested is IEnumerable items and not string)
            {
                var rows = items.Cast<object?>().Where(i => i is not null).Cast<object>().ToList();
                if (rows.Count == 0)
                    continue;
                writer.WriteLine();
                writer.WriteLine(property.Name + ":");
                WriteTable(writer, rows);
            }
            else if (nested is not null)
            {
                writer.WriteLine();
                writer.WriteLine(property.Name + ":");
                var inner = new StringWriter(CultureInfo.InvariantCulture);
                Write(inner, nested);
                foreach (string line in inner.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries))
                    writer.WriteLine("  " + line);
            }
        }
    }

    /// <summary>Writes <paramref name="rows"/> as a table: a header, a rule, one line per row.</summary>
    public static void WriteTable(TextWriter writer, IReadOnlyList<object> rows)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
            return;

        if (IsScalar(rows[0].GetType()))
        {
            foreach (object row in rows)
                writer.WriteLine("  " + FormatScalar(row));
            return;
        }

        var columns = ReadableProperties(rows[0].GetType()).Where(p => IsScalar(p.PropertyType)).ToList();
        var cells = rows.Select(row => columns.Select(c => FormatScalar(c.GetValue(row))).ToArray()).ToList();
        var widths = columns.Select((c, i) => Math.Max(c.Name.Length, cells.Max(r => r[i].Length))).ToArray();

        writer.WriteLine("  " + string.Join("  ", columns.Select((c, i) => c.Name.PadRight(widths[i]))).TrimEnd());
        writer.WriteLine("  " + string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (string[] row in cells)
            writer.WriteLine("  " + string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
    }

    /// <summary>A value as one line of text.</summary>
    public static string FormatScalar(object? value) => value switch
    {
        null => "",
        DateTimeOffset d => d.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture),
        DateTime d => d.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture),
        TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString()?.ReplaceLineEndings(" ") ?? "",
    };

    private static bool IsScalar(Type type)
    {
        Type t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(DateTime)
            || t == typeof(DateTimeOffset) || t == typeof(TimeSpan) || t == typeof(Guid) || t == typeof(Uri);
    }

    private static List<PropertyInfo> ReadableProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0)
            .OrderBy(p => p.MetadataToken)
            .ToList();
}
