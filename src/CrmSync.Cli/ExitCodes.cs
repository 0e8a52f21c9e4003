namespace CrmSync.Cli;

/// <summary>The process exit codes of <c>crmsync</c> (documented in <c>crmsync help</c> and README.md).</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>The command ran and failed (CRM, database, secrets, a record that failed, Ctrl+C).</summary>
    public const int Failure = 1;

    /// <summary>The command line was wrong: unknown verb or option, a missing value. Nothing was done.</summary>
    public const int Usage = 2;

    /// <summary>What the command is about does not exist (e.g. ErrorId ProfileNotFound).</summary>
    public const int NotFound = 3;

    /// <summary><c>crmsync start</c>: another run holds the profile's sync lock (ErrorId SyncLockHeld); nothing was run.</summary>
    public const int LockHeld = 4;

    /// <summary><c>crmsync start</c> was interrupted (Ctrl+C or SIGTERM): the cycle stopped after the page in flight committed.</summary>
    public const int Interrupted = 130;
}
