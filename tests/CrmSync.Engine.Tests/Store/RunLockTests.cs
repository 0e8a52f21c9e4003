using System.Diagnostics;
using CrmSync.Engine.Store;
using CrmSync.Engine.Tests.Support;
using Microsoft.Data.Sqlite;

namespace CrmSync.Engine.Tests.Store;

public sealed class RunLockTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new();
    private readonly string _path;

    public RunLockTests() => _path = _dir.Combine("p.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    /// <summary>No process ever has this id (Linux caps pids at 2^22, Windows pids are multiples of 4).</summary>
    private const int NoSuchProcess = int.MaxValue;

    /// <summary>Rewrites the recorded holder as another process would have written it.</summary>
    private void RewriteHolder(string assignments, params (string Name, object? Value)[] values)
    {
        using var connection = new SqliteConnection($"Data Source={_path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE crmsync_run_lock SET {assignments} WHERE id = 1;";
        foreach (var (name, value) in values)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        Assert.Equal(1, command.ExecuteNonQuery());
    }

    private static DateTimeOffset ThisProcessStartedAt()
    {
        using var process = Process.GetCurrentProcess();
        var utc = process.StartTime.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
    }

    [Fact]
    public void A_second_store_on_the_same_file_is_refused_while_the_lease_is_alive()
    {
        using var first = CrmSyncStore.Open(_path, _time);
        using var second = CrmSyncStore.Open(_path, _time);
        var lease = first.RunLock.Acquire(TimeSpan.FromMinutes(2));

        _time.Advance(TimeSpan.FromSeconds(119));
        var e = Assert.Throws<CrmSyncException>(() => second.RunLock.Acquire());

        Assert.Equal(ErrorIds.SyncLockHeld, e.ErrorId);
        Assert.Equal(ErrorKind.ResourceBusy, e.Kind);
        Assert.Contains($"host {Environment.MachineName}", e.Message);
        Assert.Contains($"process {Environment.ProcessId}", e.Message);
        Assert.Contains("since 2026-11-02T09:30:00.000Z", e.Message);
        Assert.Equal(lease, second.RunLock.ReadCurrent());
    }

    [Fact]
    public void An_expired_lease_is_taken_over_and_the_old_holder_loses_it()
    {
        using var first = CrmSyncStore.Open(_path, _time);
        using var second = CrmSyncStore.Open(_path, _time);
        var old = first.RunLock.Acquire(TimeSpan.FromMinutes(2));

        _time.Advance(TimeSpan.FromMinutes(2)); // expires_at == now: expired
        var taken = second.RunLock.Acquire(TimeSpan.FromMinutes(2));

        Assert.NotEqual(old.HolderId, taken.HolderId);
        Assert.Equal(_time.GetUtcNow(), taken.AcquiredAt);
        var lost = Assert.Throws<CrmSyncException>(() => first.RunLock.Heartbeat(old));
        Assert.Equal(ErrorIds.SyncLockHeld, lost.ErrorId);
        Assert.False(first.RunLock.Release(old));
        Assert.Equal(taken, first.RunLock.ReadCurrent());

        Assert.True(second.RunLock.Release(taken));
        Assert.Null(first.RunLock.ReadCurrent());
        Assert.NotEqual(taken.HolderId, first.RunLock.Acquire().HolderId);
    }

    [Fact]
    public void Heartbeats_keep_the_lease_alive()
    {
        using var first = CrmSyncStore.Open(_path, _time);
        using var second = CrmSyncStore.Open(_path, _time);
        var lease = first.RunLock.Acquire(TimeSpan.FromMinutes(2));

        for (var i = 0; i < 5; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(90));
            lease = first.RunLock.Heartbeat(lease, TimeSpan.FromMinutes(2));
            Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(2), lease.ExpiresAt);
            Assert.Throws<CrmSyncException>(() => second.RunLock.Acquire());
        }
        Assert.Equal(_time.GetUtcNow(), lease.HeartbeatAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 2, 9, 30, 0, TimeSpan.Zero), lease.AcquiredAt);
    }

    [Fact]
    public void Concurrent_acquirers_on_separate_connections_get_exactly_one_lease()
    {
        using var init = CrmSyncStore.Open(_path, _time);
        var stores = Enumerable.Range(0, 6).Select(_ => CrmSyncStore.Open(_path, _time)).ToList();
        try
        {
            using var start = new Barrier(stores.Count);
            var outcomes = stores.AsParallel().WithDegreeOfParallelism(stores.Count).Select(store =>
            {
                start.SignalAndWait();
                try
                {
                    return (Lease: store.RunLock.Acquire(), Error: (CrmSyncException?)null);
                }
                catch (CrmSyncException e)
                {
                    return (Lease: (RunLease?)null, Error: e);
                }
            }).ToList();

            var winner = Assert.Single(outcomes, o => o.Lease is not null);
            Assert.All(outcomes.Where(o => o.Lease is null), o => Assert.Equal(ErrorIds.SyncLockHeld, o.Error!.ErrorId));
            Assert.Equal(winner.Lease, init.RunLock.ReadCurrent());
        }
        finally
        {
            stores.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void A_lease_records_the_holder_process_start_time_and_a_live_holder_on_this_host_keeps_it()
    {
        using var first = CrmSyncStore.Open(_path, _time);
        using var second = CrmSyncStore.Open(_path, _time);

        var lease = first.RunLock.Acquire();

        Assert.Equal(ThisProcessStartedAt(), lease.ProcessStartedAt);
        Assert.Null(lease.TookOverFrom);
        Assert.Equal(lease.ProcessStartedAt, second.RunLock.ReadCurrent()!.ProcessStartedAt);
        var e = Assert.Throws<CrmSyncException>(() => second.RunLock.Acquire());
        Assert.Equal(ErrorIds.SyncLockHeld, e.ErrorId);
        Assert.Equal(lease.HolderId, second.RunLock.ReadCurrent()!.HolderId);
    }

    [Fact]
    public void A_lease_of_a_process_that_no_longer_runs_on_this_host_is_taken_over_at_once_and_names_the_crashed_run()
    {
        using var first = CrmSyncStore.Open(_path, _time);
        using var second = CrmSyncStore.Open(_path, _time);
        var old = first.RunLock.Acquire(TimeSpan.FromMinutes(2));
        RewriteHolder("pid = $pid", ("$pid", NoSuchProcess));

        _time.Advance(TimeSpan.FromSeconds(5)); // long before the lease expires
        var taken = second.RunLock.Acquire(TimeSpan.FromMinutes(2));

        Assert.NotEqual(old.HolderId, taken.HolderId);
        Assert.Equal(Environment.ProcessId, taken.ProcessId);
        var crashed = Assert.IsType<RunLease>(taken.TookOverFrom);
        Assert.Equal(old.HolderId, crashed.HolderId);
        Assert.Equal(NoSuchProcess, crashed.ProcessId);
        Assert.Equal(Environment.MachineName, crashed.Host);
        Assert.Equal(old.AcquiredAt, crashed.AcquiredAt);
        Assert.Equal(taken with { TookOverFrom = null }, second.RunLock.ReadCurrent());
        Assert.Throws<CrmSyncException>(() => first.RunLock.Heartbeat(old));
    }

    [Fact]
    public void A_process_with_the_holders_pid_but_another_start_time_is_a_reused_pid_and_the_lease_is_taken_over()
    {
        using var first = CrmSyncStore.Open(_path, _time);
        using var second = CrmSyncStore.Open(_path, _time);
        var held = first.RunLock.Acquire();
        // this very process (alive) now has the pid, but the recorded holder started an hour earlier: it is not the holder
        // (on Linux the kernel's start ticks say so, 100 ticks a second; elsewhere the start time)
        RewriteHolder("process_started_at = $started, process_start_ticks = $ticks",
            ("$started", StoreTime.Format(ThisProcessStartedAt() - TimeSpan.FromHours(1))), ("$ticks", held.ProcessStartTicks - 360_000));

        var taken = second.RunLock.Acquire();

        Assert.Equal(Environment.ProcessId, taken.TookOverFrom!.ProcessId);
        Assert.Equal(ThisProcessStartedAt() - TimeSpan.FromHours(1), taken.TookOverFrom.ProcessStartedAt);
        Assert.Equal(ThisProcessStartedAt(), taken.ProcessStartedAt);
    }

    [Fact]
    public void On_linux_a_lease_records_the_holder_as_the_kernel_knows_it()
    {
        if (!OperatingSystem.IsLinux())
            return;
        using var store = CrmSyncStore.Open(_path, _time);
        var lease = store.RunLock.Acquire();

        var stat = File.ReadAllText($"/proc/{Environment.ProcessId}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture), lease.ProcessStartTicks);
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(), lease.BootId);
        Assert.Equal(lease, store.RunLock.ReadCurrent());
    }

    /// <summary>
    /// The kill -9 trial's step 0 once saw a start run beside a live holder (load 20-40): .NET derives a Linux process's
    /// start time from the wall clock at each reading, so after a clock step the holder's recorded start time and the one
    /// a new process reads differ by the step, and the live holder was taken for a reused pid. The kernel's start ticks
    /// and boot id do not move: the live holder keeps its lease.
    /// </summary>
    [Theory]
    [InlineData(5)]
    [InlineData(-5)]
    [InlineData(3600)]
    public void On_linux_a_live_holder_keeps_its_lease_when_the_wall_clock_stepped_since_it_recorded_its_start_time(int stepSeconds)
    {
        if (!OperatingSystem.IsLinux())
            return;
        using var first = CrmSyncStore.Open(_path, _time);
        using var second = CrmSyncStore.Open(_path, _time);
        var held = first.RunLock.Acquire(TimeSpan.FromMinutes(2));
        // the holder (this live process) read its start time before the wall clock stepped by stepSeconds
        RewriteHolder("process_started_at = $started", ("$started", StoreTime.Format(ThisProcessStartedAt() - TimeSpan.FromSeconds(stepSeconds))));

        var e = Assert.Throws<CrmSyncException>(() => second.RunLock.Acquire());
        Assert.Equal(ErrorIds.SyncLockHeld, e.ErrorId);
        Assert.Contains($"process {Environment.ProcessId}", e.Message);
        Assert.Throws<CrmSyncException>(() => second.RunLock.ThrowIfHeld());
        Assert.True(RunLock.IsHeldAt(second.RunLock.ReadCurrent()!, _time.GetUtcNow()));
        Assert.Equal(held.HolderId, first.RunLock.Heartbeat(held).HolderId);
    }

    [Fact]
    public void On_linux_a_lease_of_another_boot_is_a_crashed_run_and_is_taken_over()
    {
        if (!OperatingSystem.IsLinux())
            return;
        using var first = CrmSyncStore.Open(_path, _time);
        using var second = CrmSyncStore.Open(_path, _time);
        var old = first.RunLock.Acquire(TimeSpan.FromMinutes(2));
        RewriteHolder("boot_id = '00000000-0000-0000-0000-000000000000'"); // this pid and start, but before a reboot

        var taken = second.RunLock.Acquire();

        Assert.Equal(old.HolderId, taken.TookOverFrom!.HolderId);
    }

    [Fact]
    public void A_proc_stat_line_gives_its_state_and_start_ticks_even_with_parentheses_and_spaces_in_the_name()
    {
        var line = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 7 0 987654 12345678 900 18446744073709551615";
        Assert.Equal(('S', 987654L), ProcessIdentity.ParseStat(line));
        Assert.Null(ProcessIdentity.ParseStat("4242 (short) S 1 2"));
        Assert.Null(ProcessIdentity.ParseStat("no parenthesis"));
    }

    [Fact]
    public void A_lease_from_another_host_is_not_taken_over_before_it_expires_even_when_its_pid_is_not_running_here()
    {
        using var first = CrmSyncStore.Open(_path, _time);
        using var second = CrmSyncStore.Open(_path, _time);
        first.RunLock.Acquire(TimeSpan.FromMinutes(2));
        RewriteHolder("host = 'other-host.example', pid = $pid", ("$pid", NoSuchProcess));

        _time.Advance(TimeSpan.FromSeconds(119));
        var e = Assert.Throws<CrmSyncException>(() => second.RunLock.Acquire());
        Assert.Equal(ErrorIds.SyncLockHeld, e.ErrorId);
        Assert.Contains("host other-host.example", e.Message);

        _time.Advance(TimeSpan.FromSeconds(1)); // expired
        var taken = second.RunLock.Acquire();
        Assert.Null(taken.TookOverFrom); // another host's process cannot be seen: it expired, nothing says it crashed
        Assert.Equal(Environment.MachineName, taken.Host);
    }

    [Fact]
    public void A_lease_without_a_start_time_from_older_code_is_judged_by_its_pid_alone()
    {
        using var first = CrmSyncStore.Open(_path, _time);
        using var second = CrmSyncStore.Open(_path, _time);
        first.RunLock.Acquire();
        RewriteHolder("process_started_at = NULL");

        Assert.Throws<CrmSyncException>(() => second.RunLock.Acquire()); // this process has the pid and runs

        RewriteHolder("pid = $pid", ("$pid", NoSuchProcess));
        var taken = second.RunLock.Acquire();
        Assert.Equal(NoSuchProcess, taken.TookOverFrom!.ProcessId);
        Assert.Null(taken.TookOverFrom.ProcessStartedAt);
    }
}
