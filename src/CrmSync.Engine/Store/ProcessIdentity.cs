using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace CrmSync.Engine.Store;

/// <summary>
/// Who a run-lease holder is, so that a lease of a crashed run on this host can be taken over at once while a live holder
/// is never mistaken for a dead one (<see cref="RunLock"/>).
/// <list type="bullet">
/// <item>On Linux the kernel keeps only when a process started in clock ticks since boot (<c>/proc/&lt;pid&gt;/stat</c>
/// field 22). .NET's <see cref="Process.StartTime"/> adds a boot time it derives from the wall clock when it is read, so two
/// processes reading the same start time disagree by however far the wall clock stepped between their readings (an NTP
/// or hypervisor correction on a loaded machine): a live holder then looked like a reused pid and a second run started
/// beside it. So on Linux the holder is recorded and compared as the kernel's start ticks and the boot id
/// (<c>/proc/sys/kernel/random/boot_id</c>), both fixed for the life of the process; the comparison is exact.</item>
/// <item>Elsewhere, and for leases written without those (older code), the recorded start time is compared in whole
/// seconds with one second of tolerance.</item>
/// </list>
/// What cannot be decided (a process has the pid but its identity cannot be read) counts as running: the lease then ends
/// by its expiry, never by a guess that could start a second run.
/// </summary>
internal sealed record ProcessIdentity(DateTimeOffset? StartedAt, long? StartTicks, string? BootId)
{
    private const string BootIdPath = "/proc/sys/kernel/random/boot_id";

    /// <summary>This process, read once.</summary>
    public static readonly Lazy<ProcessIdentity> Current = new(ReadCurrent);

    private static ProcessIdentity ReadCurrent()
    {
        DateTimeOffset? startedAt;
        try
        {
            using var process = Process.GetCurrentProcess();
            startedAt = new DateTimeOffset(ToWholeSeconds(process.StartTime.ToUniversalTime()), TimeSpan.Zero);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            startedAt = null;
        }
        if (!OperatingSystem.IsLinux())
            return new ProcessIdentity(startedAt, null, null);
        var stat = ReadStat(Environment.ProcessId);
        var boot = ReadBootId();
        return stat is { } s && boot is not null ? new ProcessIdentity(startedAt, s.StartTicks, boot) : new ProcessIdentity(startedAt, null, null);
    }

    /// <summary>
    /// True when the process recorded as <paramref name="processId"/> (with its start time, start ticks and boot id, where
    /// known) still runs on this host; false when no process has the pid, or the one that has it is provably another.
    /// </summary>
    public static bool IsRunning(int processId, DateTimeOffset? startedAt, long? startTicks, string? bootId)
    {
        if (OperatingSystem.IsLinux() && startTicks is { } ticks && bootId is not null)
        {
            var currentBoot = ReadBootId();
            if (currentBoot is null)
                return true; // cannot tell
            if (!string.Equals(currentBoot, bootId, StringComparison.Ordinal))
                return false; // the machine has rebooted since: nothing of that boot runs
            if (!File.Exists(StatPath(processId)))
                return false; // no process has the pid
            if (ReadStat(processId) is not { } stat)
                return File.Exists(StatPath(processId)); // unreadable while it exists: cannot tell; gone meanwhile: not running
            return stat.State != 'Z' && stat.StartTicks == ticks; // a zombie has exited; other ticks: a reused pid
        }
        return IsRunningByStartTime(processId, startedAt);
    }

    /// <summary>
    /// The start-time comparison (whole seconds, one second of tolerance for how the OS derives start times) of systems
    /// without the kernel identity and of leases recorded without it.
    /// </summary>
    private static bool IsRunningByStartTime(int processId, DateTimeOffset? startedAt)
    {
        Process process;
        try
        {
            process = Process.GetProcessById(processId);
        }
        catch (ArgumentException)
        {
            return false; // no process has the pid
        }
        using (process)
        {
            if (startedAt is not { } expected)
                return true; // a lease from before start times were recorded: the pid is all there is to go by
            try
            {
                var actual = ToWholeSeconds(process.StartTime.ToUniversalTime());
                return (actual - ToWholeSeconds(expected.UtcDateTime)).Duration() <= TimeSpan.FromSeconds(1);
            }
            catch (InvalidOperationException)
            {
                return false; // it exited meanwhile
            }
            catch (Exception e) when (e is Win32Exception or NotSupportedException)
            {
                return true; // a process has the pid and its start time cannot be read: cannot tell, so not taken over
            }
        }
    }

    private static string StatPath(int processId) => "/proc/" + processId.ToString(CultureInfo.InvariantCulture) + "/stat";

    /// <summary>The state (field 3) and start ticks (field 22) of <c>/proc/&lt;pid&gt;/stat</c>, or null when it cannot be read.</summary>
    internal static (char State, long StartTicks)? ReadStat(int processId)
    {
        string text;
        try
        {
            text = File.ReadAllText(StatPath(processId));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return ParseStat(text);
    }

    /// <summary>
    /// Fields 3 and 22 of a <c>/proc/&lt;pid&gt;/stat</c> line. Field 2, the command name in parentheses, may itself hold spaces
    /// and parentheses, so fields are counted after the last ')': field 3 is the first there, field 22 the twentieth.
    /// </summary>
    internal static (char State, long StartTicks)? ParseStat(string text)
    {
        var end = text.LastIndexOf(')');
        if (end < 0)
            return null;
        var fields = text[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return fields.Length > 19 && fields[0].Length == 1
               && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            ? (fields[0][0], ticks)
            : null;
    }

    private static string? ReadBootId()
    {
        try
        {
            var id = File.ReadAllText(BootIdPath).Trim();
            return id.Length > 0 ? id : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static DateTime ToWholeSeconds(DateTime utc) =>
        new(utc.Ticks - utc.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
}
