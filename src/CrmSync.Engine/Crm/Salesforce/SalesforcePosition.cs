using System.Text.Json;

namespace CrmSync.Engine.Crm.Salesforce;

/// <summary>
/// Serialised read positions. A keyset position is the (stamp, Id) of the last record applied, in the order
/// <c>ORDER BY SystemModstamp, Id</c>; it serves as both the page cursor and the incremental watermark.
/// A bulk position names the Bulk API 2.0 job, the next result locator, and the time the copy started.
/// </summary>
internal static class SalesforcePosition
{
    public sealed record Keyset(DateTimeOffset? Stamp, string? Id)
    {
        /// <summary>The later of two positions in (stamp, Id) order, so a watermark never moves backwards
        /// (e.g. when the record it pointed at was purged and only older overlap records came back).</summary>
        public static Keyset Max(Keyset? a, Keyset b)
        {
            if (a is null) return b;
            var byStamp = Nullable.Compare(a.Stamp, b.Stamp);
            if (byStamp != 0) return byStamp > 0 ? a : b;
            return string.CompareOrdinal(a.Id, b.Id) >= 0 ? a : b;
        }
    }

    public sealed record Bulk(string? JobId, string? Locator, DateTimeOffset StartedAt, bool Done);

    public static string Write(Keyset k)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("m", "keyset");
            if (k.Stamp is { } s) w.WriteString("s", CrmValueConverter.FormatDateTime(s)); else w.WriteNull("s");
            if (k.Id is { } id) w.WriteString("id", id); else w.WriteNull("id");
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    public static string Write(Bulk b)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("m", "bulk");
            if (b.JobId is null) w.WriteNull("job"); else w.WriteString("job", b.JobId);
            if (b.Locator is null) w.WriteNull("loc"); else w.WriteString("loc", b.Locator);
            w.WriteString("t0", CrmValueConverter.FormatDateTime(b.StartedAt));
            w.WriteBoolean("done", b.Done);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Reads a keyset or bulk position; throws InvalidArgument for anything else (e.g. another CRM's watermark).</summary>
    public static object Read(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var r = doc.RootElement;
            var mode = SalesforceJson.GetString(r, "m");
            DateTimeOffset? Date(string name) => SalesforceJson.GetString(r, name) is { } s ? CrmValueConverter.ParseDateTime(s) : null;
            return mode switch
            {
                "keyset" => new Keyset(Date("s"), SalesforceJson.GetString(r, "id")),
                "bulk" => new Bulk(SalesforceJson.GetString(r, "job"), SalesforceJson.GetString(r, "loc"), Date("t0") ?? throw new JsonException("t0 missing"),
                    r.TryGetProperty("done", out var d) && d.ValueKind == JsonValueKind.True),
                _ => throw new JsonException("unknown position kind"),
            };
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidData,
                "The saved Salesforce read position is not valid; it may belong to another CRM or have been edited.",
                "Reset the object's checkpoint so that it is read again from the start.", null, ex);
        }
    }

    public static Keyset ReadKeyset(string text) => Read(text) as Keyset ?? throw new CrmSyncException(ErrorIds.InvalidArgument, ErrorKind.InvalidData,
        "The saved position is a bulk-copy position where an incremental one was expected.", "Finish the initial copy first, or reset the checkpoint.");
}
