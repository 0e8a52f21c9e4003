using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace CrmSync.Emulator.Salesforce.Rest;

/// <summary>
/// Writes Bulk API 2.0 CSV results (every value quoted, "" for a quote, UTF-8) into one reused byte buffer that the caller
/// flushes to the response: the same bytes as <see cref="SalesforceFormat"/>'s text of each value, without a string per cell
/// (every buffer is ensured large enough before a value is formatted into it).
/// </summary>
internal sealed class BulkCsvWriter(byte delimiter, string newline)
{
    private readonly byte[] _newline = Encoding.UTF8.GetBytes(newline);
    private byte[] _buffer = new byte[1 << 17];

    public int Length { get; private set; }

    /// <summary>Appends one quoted cell (a delimiter first unless it is the first of the line).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Cell(object? value, bool first)
    {
        Ensure(64);
        if (!first)
        {
            _buffer[Length++] = delimiter;
        }
        _buffer[Length++] = (byte)'"';
        switch (value)
        {
            case null:
                break;
            case string s:
                Text(s);
                break;
            case bool b:
                Ascii(b ? "true" : "false");
                break;
            case DateTime t:
                Ensure(32);
                WriteDateTime(t);
                break;
            case DateOnly d:
                Ensure(16);
                WriteDate(d.Year, d.Month, d.Day);
                break;
            case decimal m:
                Ensure(40);
                Length += m.TryFormat(Free, out var dm, default, CultureInfo.InvariantCulture) ? dm : 0;
                break;
            case long l:
                Ensure(24);
                Length += l.TryFormat(Free, out var dl, default, CultureInfo.InvariantCulture) ? dl : 0;
                break;
            case int n:
                Ensure(16);
                Length += n.TryFormat(Free, out var dn, default, CultureInfo.InvariantCulture) ? dn : 0;
                break;
            case double x:
                Text(SalesforceFormat.Number(x));
                break;
            default:
                Text(value.ToString() ?? "");
                break;
        }
        Ensure(1);
        _buffer[Length++] = (byte)'"';
    }

    public void EndLine()
    {
        Ensure(_newline.Length);
        _newline.CopyTo(_buffer, Length);
        Length += _newline.Length;
    }

    public async Task FlushAsync(Stream stream, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(_buffer.AsMemory(0, Length), cancellationToken).ConfigureAwait(false);
        Length = 0;
    }

    private Span<byte> Free => _buffer.AsSpan(Length);

    /// <summary><c>yyyy-MM-ddTHH:mm:ss.fffZ</c> (what <c>TryFormat</c> with that format writes), digit by digit.</summary>
    private void WriteDateTime(DateTime t)
    {
        WriteDate(t.Year, t.Month, t.Day);
        _buffer[Length++] = (byte)'T';
        Digits(t.Hour, 2);
        _buffer[Length++] = (byte)':';
        Digits(t.Minute, 2);
        _buffer[Length++] = (byte)':';
        Digits(t.Second, 2);
        _buffer[Length++] = (byte)'.';
        Digits(t.Millisecond, 3);
        _buffer[Length++] = (byte)'Z';
    }

    /// <summary><c>yyyy-MM-dd</c>.</summary>
    private void WriteDate(int year, int month, int day)
    {
        Digits(year, 4);
        _buffer[Length++] = (byte)'-';
        Digits(month, 2);
        _buffer[Length++] = (byte)'-';
        Digits(day, 2);
    }

    private void Digits(int value, int count)
    {
        for (int i = count - 1; i >= 0; i--)
        {
            _buffer[Length + i] = (byte)('0' + value % 10);
            value /= 10;
        }
        Length += count;
    }

    private void Ascii(string text)
    {
        Ensure(text.Length);
        Length += Encoding.ASCII.GetBytes(text, Free);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Text(string text)
    {
        if (!text.Contains('"'))
        {
            Ensure(Encoding.UTF8.GetMaxByteCount(text.Length));
            Length += Encoding.UTF8.GetBytes(text, Free);
            return;
        }
        var escaped = text.Replace("\"", "\"\"", StringComparison.Ordinal);
        Ensure(Encoding.UTF8.GetMaxByteCount(escaped.Length));
        Length += Encoding.UTF8.GetBytes(escaped, Free);
    }

    private void Ensure(int bytes)
    {
        if (Length + bytes > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + bytes));
        }
    }
}
