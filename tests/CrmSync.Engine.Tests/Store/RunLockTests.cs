using CrmSync.Engine.Store;
using CrmSync.Engine.Tests.Support;

namespace CrmSync.Engine.Tests.Store;

public sealed class RunLockTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new();
    private readonly string _path;

    public RunLockTests() => _path = _dir.Combine("p.db");

    public void Dispose() => _dir.Dispose();

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
        Assert.Contains("since 2026-11-02T09:30:00.0000000Z", e.Message);
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
}
