using CrmSync.Engine;
using CrmSync.Engine.Schema;
using CrmSync.Engine.Store;
using CrmSync.Engine.Sync;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Sync;

/// <summary>
/// The person table's email index is not maintained row by row during the first copy: it is dropped before the copy and
/// built once when the initial copies end (<see cref="PersonIndexes"/>, <see cref="SyncOptions.DeferPersonIndexes"/>).
/// Whatever stops the copy, the index comes back: at once after a failure, in the next cycle after a cancellation or a
/// crash. A copy into a table that already holds CRM records keeps the index.
/// </summary>
public sealed class DeferredIndexTests
{
    private static readonly string Email = PersonIndexes.EmailName("person");
    private static readonly string TypeId = PersonIndexes.CrmTypeIdName("person");

    private static SyncTestBed Bed(int leads)
    {
        var bed = new SyncTestBed();
        for (var i = 1; i <= leads; i++)
            bed.Lead($"00Q00000000000{i}AAA", $"Lead{i}");
        return bed;
    }

    private static bool IndexExists(SyncTestBed bed, string name) => bed.Store.Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = $n;";
        command.Parameters.AddWithValue("$n", name);
        return Convert.ToInt64(command.ExecuteScalar()) == 1;
    });

    /// <summary>The index's definition as SQLite stores it (the same expression on the same column after a rebuild).</summary>
    private static string? IndexSql(SyncTestBed bed, string name) => bed.Store.Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = $n;";
        command.Parameters.AddWithValue("$n", name);
        return command.ExecuteScalar() as string;
    });

    [Fact]
    public async Task The_first_copy_runs_without_the_email_index_and_builds_it_when_the_copies_end()
    {
        using var bed = Bed(5);
        var definition = IndexSql(bed, Email);
        Assert.NotNull(definition); // Sync-CrmField created it
        Assert.Contains("lower(\"Email\")", definition, StringComparison.Ordinal);
        var seenDuringCopy = new List<(bool Email, bool TypeId)>();
        var progress = new InlineProgress<SyncProgress>(p =>
        {
            if (p.ObjectName == "Lead" && p.Done is > 0)
                seenDuringCopy.Add((IndexExists(bed, Email), IndexExists(bed, TypeId)));
        });

        var result = await bed.CycleAsync(progress: progress);

        Assert.Equal(RunState.Succeeded, result.State);
        Assert.NotEmpty(seenDuringCopy);
        Assert.All(seenDuringCopy, seen => Assert.False(seen.Email));
        Assert.All(seenDuringCopy, seen => Assert.True(seen.TypeId)); // the sync's own lookups keep theirs
        Assert.Equal(definition, IndexSql(bed, Email));
        Assert.Equal(5, bed.Rows("person").Count);
        Assert.Contains(bed.Events, e => e.Message.Contains(Email, StringComparison.Ordinal) && e.Message.Contains("Built", StringComparison.Ordinal));
        // The index is usable: SQLite's planner takes it for a lookup by lower(Email).
        var plan = bed.Store.Read(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "EXPLAIN QUERY PLAN SELECT _row_id FROM person WHERE lower(\"Email\") = 'x@example.com';";
            using var reader = command.ExecuteReader();
            var details = new List<string>();
            while (reader.Read())
                details.Add(reader.GetString(3));
            return string.Join(" | ", details);
        });
        Assert.Contains(Email, plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_copy_leaves_the_index_to_the_next_cycle_which_builds_it()
    {
        using var bed = Bed(5);
        using var cts = new CancellationTokenSource();
        var progress = new InlineProgress<SyncProgress>(p =>
        {
            if (p.ObjectName == "Lead" && p.Done == 2) cts.Cancel();
        });

        var cancelled = await bed.CycleAsync(progress: progress, cancellationToken: cts.Token);

        Assert.Equal(RunState.Cancelled, cancelled.State);
        Assert.False(IndexExists(bed, Email)); // Ctrl+C does not wait for a sort of the whole table

        var next = await bed.CycleAsync();

        Assert.Equal(RunState.Succeeded, next.State);
        Assert.True(IndexExists(bed, Email));
        Assert.True(IndexExists(bed, TypeId));
        Assert.Equal(5, bed.Rows("person").Count);
    }

    [Fact]
    public async Task A_failed_copy_builds_the_index_at_once_and_the_resumed_copy_keeps_it()
    {
        using var bed = Bed(7);
        bed.Source.FailAfterPages = 2;

        var failed = await bed.CycleAsync();

        Assert.Equal(RunState.Failed, failed.State);
        Assert.Equal(ErrorIds.CrmUnreachable, failed.Error!.ErrorId); // the copy's error, not the index's
        Assert.True(IndexExists(bed, Email));
        Assert.Equal(4, bed.Rows("person").Count);

        // The table now holds CRM records: the resumed copy maintains the index row by row instead of dropping it again.
        bed.Source.FailAfterPages = null;
        var seenDuringCopy = new List<bool>();
        var progress = new InlineProgress<SyncProgress>(p =>
        {
            if (p.ObjectName == "Lead") seenDuringCopy.Add(IndexExists(bed, Email));
        });
        var resumed = await bed.CycleAsync(progress: progress);

        Assert.Equal(RunState.Succeeded, resumed.State);
        Assert.NotEmpty(seenDuringCopy);
        Assert.All(seenDuringCopy, Assert.True);
        Assert.Equal(7, bed.Rows("person").Count);
    }

    [Fact]
    public async Task A_crash_mid_copy_leaves_no_table_without_its_index_after_the_next_cycle()
    {
        using var bed = Bed(5);
        // What a kill -9 after the drop leaves: the index gone, part of the table copied, the checkpoint open.
        bed.Source.FailAfterPages = 1;
        await bed.CycleAsync(new SyncOptions { PageSize = 2, DeferPersonIndexes = true });
        bed.Store.Write(tx =>
        {
            using var drop = tx.Connection!.CreateCommand();
            drop.Transaction = tx;
            drop.CommandText = $"DROP INDEX \"{Email}\";";
            drop.ExecuteNonQuery();
        });
        Assert.False(IndexExists(bed, Email));
        bed.Source.FailAfterPages = null;

        var next = await bed.CycleAsync();

        Assert.Equal(RunState.Succeeded, next.State);
        Assert.True(IndexExists(bed, Email));
        // And an incremental cycle with a missing index (dropped by hand, say) builds it too.
        bed.Store.Write(tx =>
        {
            using var drop = tx.Connection!.CreateCommand();
            drop.Transaction = tx;
            drop.CommandText = $"DROP INDEX \"{Email}\";";
            drop.ExecuteNonQuery();
        });
        var incremental = await bed.CycleAsync();
        Assert.Equal(RunKind.Incremental, incremental.Kind);
        Assert.True(IndexExists(bed, Email));
    }

    [Fact]
    public async Task Without_deferral_the_index_stays_throughout_the_copy()
    {
        using var bed = Bed(5);
        var seenDuringCopy = new List<bool>();
        var progress = new InlineProgress<SyncProgress>(p =>
        {
            if (p.ObjectName == "Lead") seenDuringCopy.Add(IndexExists(bed, Email));
        });

        var result = await bed.CycleAsync(new SyncOptions { PageSize = 2, DeferPersonIndexes = false }, progress);

        Assert.Equal(RunState.Succeeded, result.State);
        Assert.NotEmpty(seenDuringCopy);
        Assert.All(seenDuringCopy, Assert.True);
        Assert.DoesNotContain(bed.Events, e => e.Message.Contains("without its email index", StringComparison.Ordinal));
    }
}
