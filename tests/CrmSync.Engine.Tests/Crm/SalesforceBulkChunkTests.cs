using System.Text;
using CrmSync.Engine.Crm.Salesforce;

namespace CrmSync.Engine.Tests.Crm;

/// <summary>
/// A downloaded bulk results chunk checks its bytes for valid UTF-8 once, on the downloading thread, and its rows say so
/// (<see cref="CrmSync.Engine.Crm.ICrmRowReader.FieldsAreValidUtf8"/>): the row writer then skips the check per text field.
/// A chunk with one invalid byte anywhere is not vouched for, so every field is checked as before.
/// </summary>
public sealed class SalesforceBulkChunkTests
{
    private static async Task<SalesforceBulkChunk> FilledAsync(byte[] bytes)
    {
        var chunk = new SalesforceBulkChunk();
        // A stream that hands out a few bytes at a time, as a response body does.
        await chunk.FillAsync(new BufferedStream(new MemoryStream(bytes), 7), CancellationToken.None);
        Assert.Equal(bytes.Length, chunk.Length);
        return chunk;
    }

    [Fact]
    public async Task A_chunk_of_valid_utf8_is_vouched_for_and_its_rows_say_so()
    {
        var csv = Encoding.UTF8.GetBytes("\"Id\",\"LastName\"\n\"00Q000000000001AAA\",\"Zoë 漢字 🙂 \"\"quoted\"\"\"\n");
        var chunk = await FilledAsync(csv);
        Assert.True(chunk.IsValidUtf8);
        using var rows = new SalesforceBulkRows(chunk, null, "Lead");
        Assert.True(rows.FieldsAreValidUtf8);
        Assert.True(rows.Read());
        Assert.Equal("Zoë 漢字 🙂 \"quoted\"", Encoding.UTF8.GetString(rows.Field(1)));
    }

    [Fact]
    public async Task One_invalid_byte_anywhere_leaves_every_field_to_be_checked()
    {
        var csv = Encoding.UTF8.GetBytes("\"Id\",\"LastName\"\n\"00Q000000000001AAA\",\"Ames\"\n\"00Q000000000002AAA\",\"Bad X\"\n");
        csv[Array.LastIndexOf(csv, (byte)'X')] = 0xFF;
        var chunk = await FilledAsync(csv);
        Assert.False(chunk.IsValidUtf8);
        using var rows = new SalesforceBulkRows(chunk, null, "Lead");
        Assert.False(rows.FieldsAreValidUtf8);
        // Refilled with valid bytes, the same buffer is vouched for again.
        await chunk.FillAsync(new MemoryStream(Encoding.UTF8.GetBytes("\"Id\"\n\"00Q000000000001AAA\"\n")), CancellationToken.None);
        Assert.True(chunk.IsValidUtf8);
    }

    [Fact]
    public void The_pool_hands_out_idle_buffers_first_and_keeps_at_most_two()
    {
        var pool = new SalesforceBulkChunkPool();
        var a = pool.Rent();
        var b = pool.Rent();
        var c = pool.Rent();
        Assert.Equal(3, new HashSet<SalesforceBulkChunk>([a, b, c], ReferenceEqualityComparer.Instance).Count);
        Assert.Equal(0, pool.Idle);

        pool.Return(a);
        pool.Return(a); // twice: still one idle entry, never handed to two readers
        Assert.Equal(1, pool.Idle);
        pool.Return(b);
        pool.Return(c); // beyond the capacity: dropped
        Assert.Equal(SalesforceBulkChunkPool.Capacity, pool.Idle);

        var again = new[] { pool.Rent(), pool.Rent() };
        Assert.Contains(a, again);
        Assert.Contains(b, again); // the idle ones, not c (dropped) nor new ones
        Assert.NotSame(c, pool.Rent()); // none idle: a new one
    }
}
