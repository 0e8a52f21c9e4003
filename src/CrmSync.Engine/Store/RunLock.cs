using System.Globalization;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Store;

/// <summary>A held (or last held) run lease.</summary>
public sealed record RunLease(
    Guid HolderId,
    int ProcessId,
    string Host,
    DateTimeOffset AcquiredAt,
    DateTimeOffset HeartbeatAt,
    DateTimeOffset ExpiresAt)
{
    /// <summary>
    /// When the holder process started (UTC, whole seconds), so a process that later reuses its pid is not mistaken for
    /// it; null on a lease written by a version that did not record it.
    /// </summary>
    public DateTimeOffset? ProcessStartedAt { get; init; }

    /// <summary>
    /// On Linux: the holder's start in clock ticks since boot, as the kernel keeps it (<c>/proc/&lt;pid&gt;/stat</c> field 22),
    /// fixed for the life of the process whatever the wall clock does; null on other systems and on leases of older code.
    /// </summary>
    public long? ProcessStartTicks { get; init; }

    /// <summary>On Linux: the boot the holder started in (<c>/proc/sys/kernel/random/boot_id</c>); null elsewhere.</summary>
    public string? BootId { get; init; }

    /// <summary>
    /// On a lease just returned by <see cref="RunLock.Acquire"/>: the lease of a crashed run (its process on this host no
    /// longer runs) that this one took over, or null when the lock was free, released or simply expired.
    /// </summary>
    public RunLease? TookOverFrom { get; init; }

    /// <summary>True while the lease has not expired at <paramref name="now"/>.</summary>
    public bool IsAliveAt(DateTimeOffset now) => ExpiresAt > now;
}

/// <summary>
/// The run lock (<c>crmsync_run_lock</c>): one lease row, so two overlapping Start-CrmSync calls (in one process or
/// many, on one machine or several sharing the file) never both run. Taking the lease is atomic (BEGIN IMMEDIATE)
/// and succeeds only when it is free, expired, or held by a crashed run on this host (the recorded process is no longer
/// running: no process has its pid, or the one that has it is another process: see <see cref="ProcessIdentity"/>). The holder extends it with
/// heartbeats; a lease held from another host is only taken over once it has expired.
/// </summary>
public sealed class RunLock
{
    /// <summary>How long a lease lasts without a heartbeat.</summary>
    public static readonly TimeSpan DefaultLeaseDuration = TimeSpan.FromMinutes(2);

    private readonly CrmSyncStore _store;

    internal RunLock(CrmSyncStore store) => _store = store;

    /// <summary>
    /// Takes the lease for this process, or throws <see cref="ErrorIds.SyncLockHeld"/> (ResourceBusy) naming the
    /// holder's host, process and since when, while another holder's lease is alive. A lease whose holder ran on this
    /// host and is no longer running is taken over at once; the returned lease then names it in
    /// <see cref="RunLease.TookOverFrom"/>.
    /// </summary>
    public RunLease Acquire(TimeSpan? leaseDuration = null)
    {
        var duration = Duration(leaseDuration);
        return _store.Write(null, (connection, tx) =>
        {
            var now = _store.Time.GetUtcNow();
            var current = ReadCurrent(tx);
            var crashed = current is not null && IsCrashedOnThisHost(current) ? current : null;
            if (current is not null && current.IsAliveAt(now) && crashed is null)
                throw Held(current);
            var self = ProcessIdentity.Current.Value;
            var lease = new RunLease(Guid.NewGuid(), Environment.ProcessId, Environment.MachineName, now, now, now + duration)
            {
                ProcessStartedAt = self.StartedAt,
                ProcessStartTicks = self.StartTicks,
                BootId = self.BootId,
            };
            using var command = connection.Command(tx, """
                INSERT INTO crmsync_run_lock (id, holder_id, pid, host, acquired_at, heartbeat_at, expires_at, process_started_at, process_start_ticks, boot_id)
                VALUES (1, $holder, $pid, $host, $now, $now, $expires, $started, $ticks, $boot)
                ON CONFLICT (id) DO UPDATE SET holder_id = excluded.holder_id, pid = excluded.pid, host = excluded.host,
                    acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at,
                    process_started_at = excluded.process_started_at, process_start_ticks = excluded.process_start_ticks, boot_id = excluded.boot_id;
                """).With("$holder", lease.HolderId.ToString("D")).With("$pid", lease.ProcessId).With("$host", lease.Host)
                .With("$now", StoreTime.Format(now)).With("$expires", StoreTime.Format(lease.ExpiresAt))
                .With("$started", StoreTime.ToDb(lease.ProcessStartedAt)).With("$ticks", lease.ProcessStartTicks).With("$boot", lease.BootId);
            command.ExecuteNonQuery();
            return ReadCurrent(tx)! with { TookOverFrom = crashed };
        });
    }

    /// <summary>
    /// Throws <see cref="ErrorIds.SyncLockHeld"/> (naming the holder) when another live run holds the lease right now, as
    /// <see cref="Acquire"/> would; does nothing when the lock is free, expired or left by a crashed run on this host. Start
    /// calls it before signing in to the CRM, so a start that cannot run costs no login.
    /// </summary>
    public void ThrowIfHeld()
    {
        var current = ReadCurrent();
        if (current is not null && IsHeldAt(current, _store.Time.GetUtcNow()))
            throw Held(current);
    }

    /// <summary>True when <paramref name="lease"/> is alive at <paramref name="now"/> and its holder is not a crashed process on this host.</summary>
    public static bool IsHeldAt(RunLease lease, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return lease.IsAliveAt(now) && !IsCrashedOnThisHost(lease);
    }

    /// <summary>
    /// True when <paramref name="lease"/> was taken on this host (same host name) by a process that is no longer running.
    /// A lease from another host is never judged here: its process cannot be seen, so only its expiry frees it.
    /// </summary>
    internal static bool IsCrashedOnThisHost(RunLease lease) =>
        string.Equals(lease.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase)
        && !ProcessIdentity.IsRunning(lease.ProcessId, lease.ProcessStartedAt, lease.ProcessStartTicks, lease.BootId);

    /// <summary>
    /// Extends the lease by <paramref name="leaseDuration"/> from now. Throws <see cref="ErrorIds.SyncLockHeld"/> when
    /// the lease has been taken over by another holder (it had expired): the caller must stop.
    /// </summary>
    public RunLease Heartbeat(RunLease lease, TimeSpan? leaseDuration = null)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var duration = Duration(leaseDuration);
        return _store.Write(null, (connection, tx) =>
        {
            var now = _store.Time.GetUtcNow();
            using var command = connection.Command(tx,
                    "UPDATE crmsync_run_lock SET heartbeat_at = $now, expires_at = $expires WHERE id = 1 AND holder_id = $holder;")
                .With("$now", StoreTime.Format(now)).With("$expires", StoreTime.Format(now + duration))
                .With("$holder", lease.HolderId.ToString("D"));
            if (command.ExecuteNonQuery() == 1)
                return ReadCurrent(tx)!;
            var current = ReadCurrent(tx);
            throw current is null
                ? new CrmSyncException(ErrorIds.SyncLockHeld, ErrorKind.ResourceBusy,
                    $"The sync lock of {_store.DatabasePath} was released while this run still held it.",
                    "Start the sync again.", _store.DatabasePath)
                : Held(current, lost: true);
        });
    }

    /// <summary>Releases the lease if <paramref name="lease"/> still holds it; returns false when it did not.</summary>
    public bool Release(RunLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return _store.Write(null, (connection, tx) =>
        {
            using var command = connection.Command(tx, "DELETE FROM crmsync_run_lock WHERE id = 1 AND holder_id = $holder;")
                .With("$holder", lease.HolderId.ToString("D"));
            return command.ExecuteNonQuery() == 1;
        });
    }

    /// <summary>The lease as recorded (alive or expired), or null when none is.</summary>
    public RunLease? ReadCurrent(SqliteTransaction? transaction = null) => _store.Read(transaction, (connection, tx) =>
    {
        using var command = connection.Command(tx,
            "SELECT holder_id, pid, host, acquired_at, heartbeat_at, expires_at, process_started_at, process_start_ticks, boot_id FROM crmsync_run_lock WHERE id = 1;");
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new RunLease(Guid.Parse(reader.GetString(0)), reader.GetInt32(1), reader.GetString(2), reader.Time(3), reader.Time(4), reader.Time(5))
            {
                ProcessStartedAt = reader.NullableTime(6),
                ProcessStartTicks = reader.NullableInt64(7),
                BootId = reader.NullableString(8),
            }
            : null;
    });

    private static TimeSpan Duration(TimeSpan? leaseDuration)
    {
        var duration = leaseDuration ?? DefaultLeaseDuration;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero, nameof(leaseDuration));
        return duration;
    }

    private CrmSyncException Held(RunLease holder, bool lost = false)
    {
        var who = string.Create(CultureInfo.InvariantCulture,
            $"host {holder.Host}, process {holder.ProcessId}, since {StoreTime.Format(holder.AcquiredAt)} (lease expires {StoreTime.Format(holder.ExpiresAt)})");
        return lost
            ? new CrmSyncException(ErrorIds.SyncLockHeld, ErrorKind.ResourceBusy,
                $"This run's sync lock on {_store.DatabasePath} expired and was taken over by {who}.",
                "Stop this run; the other run continues. Heartbeat more often than the lease duration.", _store.DatabasePath)
            : new CrmSyncException(ErrorIds.SyncLockHeld, ErrorKind.ResourceBusy,
                $"Another CrmSync run holds the sync lock on {_store.DatabasePath}: {who}.",
                "Wait for that run to finish, or stop it; if it died on another host, its lease expires on its own.", _store.DatabasePath);
    }
}
