using System.Globalization;
using CrmSync.Engine.Crm;

namespace CrmSync.Engine.Push;

/// <summary>The waiting outbox entries of one row, merged, and the row as it is now.</summary>
internal sealed class PushRowChange
{
    public required string Table { get; init; }
    public required long RowId { get; init; }
    public List<long> OutboxIds { get; } = [];
    public HashSet<string> Columns { get; } = new(StringComparer.OrdinalIgnoreCase);
    public int Attempts { get; set; }
    public bool Due { get; set; } = true;
    public bool Exists { get; set; }
    public string? CrmId { get; set; }
    public string? CrmType { get; set; }
    public string? ClientKey { get; set; }
    public string? MergedInto { get; set; }
    public Dictionary<string, object?> Values { get; } = new(StringComparer.OrdinalIgnoreCase);
    public string LocalKey => RowId.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One record to send: the change, the local values it pushes, and the local edits it does not push (and why).</summary>
internal sealed record PushWorkItem(PushRowChange Row, PushedObject Object, bool IsCreate, CrmRecordChange Change, IReadOnlyDictionary<string, object?> Pushed,
    IReadOnlyList<(PushedField? Field, string Column, string Reason)> NotPushed);
