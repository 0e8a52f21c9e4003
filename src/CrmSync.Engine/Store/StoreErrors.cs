using Microsoft.Data.Sqlite;
using CrmSync.Engine.Shell;

namespace CrmSync.Engine.Store;

/// <summary>
/// The one translation of SQLite failures into CrmSync errors, for every path that touches a profile database (the
/// store's own tables, the sync's write transactions, the read-only reports): busy or locked → <see cref="ErrorIds.DatabaseLocked"/>,
/// not a database or corrupt → <see cref="ErrorIds.DatabaseCorrupt"/>, an interrupt of a cancelled read → cancellation,
/// anything else → <see cref="ErrorIds.UnexpectedError"/>.
/// </summary>
internal static class StoreErrors
{
    /// <summary>What was being done, in the words of the path that failed; null parts take the store's general wording.</summary>
    /// <param name="Locked">The message when the database stayed locked.</param>
    /// <param name="LockedAction">What to do then.</param>
    /// <param name="Failed">The message prefix of any other failure ("Writing pulled records to X failed").</param>
    /// <param name="FailedAction">What to do then.</param>
    /// <param name="FailedKind">The kind of any other failure (a read or a write).</param>
    internal sealed record Wording(string? Locked = null, string? LockedAction = null, string? Failed = null, string? FailedAction = null,
        ErrorKind FailedKind = ErrorKind.WriteError);

    /// <summary>True when <paramref name="e"/> means another connection held the database past the busy timeout.</summary>
    public static bool IsBusy(SqliteException e) => e.SqliteErrorCode is 5 or 6;

    /// <summary>The CrmSync error for <paramref name="e"/> on the database at <paramref name="databasePath"/>.</summary>
    public static Exception Translate(string databasePath, SqliteException e, Wording? wording = null, CancellationToken cancellationToken = default)
    {
        wording ??= General;
        return e.SqliteErrorCode switch
        {
            9 when cancellationToken.IsCancellationRequested => new OperationCanceledException("The operation was cancelled.", e, cancellationToken),
            5 or 6 => new CrmSyncException(ErrorIds.DatabaseLocked, ErrorKind.ResourceBusy,
                wording.Locked ?? $"The CrmSync database {databasePath} is locked by another writer and stayed locked past the " +
                $"{CrmSyncStore.BusyTimeoutMilliseconds} ms busy timeout.",
                wording.LockedAction ?? "Close the other program writing to the database (or wait for it), then try again.", databasePath, e),
            11 or 26 => new CrmSyncException(ErrorIds.DatabaseCorrupt, ErrorKind.InvalidData,
                $"The file {databasePath} is not a readable CrmSync database: {e.Message}",
                $"Restore the file from a backup, or give a different {ShellParameter.For(ActionParameter.DatabasePath)}.", databasePath, e),
            _ => new CrmSyncException(ErrorIds.UnexpectedError, wording.FailedKind,
                $"{wording.Failed ?? $"A SQLite operation on {databasePath} failed"}: {e.Message}",
                wording.FailedAction ?? "Check the database file and the disk; if it persists, report the error.", databasePath, e),
        };
    }

    private static readonly Wording General = new();
}
