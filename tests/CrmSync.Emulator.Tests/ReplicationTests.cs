using System.Net;
using CrmSync.Emulator.Tests.Infrastructure;

namespace CrmSync.Emulator.Tests;

public sealed class ReplicationTests
{
    private const string V = TestEmulator.V;

    private static string Window(DateTimeOffset start, DateTimeOffset end) =>
        $"?start={Uri.EscapeDataString(start.ToString("yyyy-MM-ddTHH:mm:ssK", System.Globalization.CultureInfo.InvariantCulture))}&end={Uri.EscapeDataString(end.ToString("yyyy-MM-ddTHH:mm:ssK", System.Globalization.CultureInfo.InvariantCulture))}";

    [Fact]
    public async Task Updated_lists_ids_changed_in_the_window_ignoring_seconds_and_the_current_minute()
    {
        await using var emu = await TestEmulator.StartAsync();
        var t0 = TestEmulator.Start;
        string early = await emu.CreateAsync("Lead", new { LastName = "Early", Company = "C" });
        emu.Clock.Advance(TimeSpan.FromMinutes(5));
        string late = await emu.CreateAsync("Lead", new { LastName = "Late", Company = "C" });
        emu.Clock.Advance(TimeSpan.FromSeconds(30));
        var (status, body, _) = await emu.GetAsync($"{V}/sobjects/Lead/updated/{Window(t0.AddMinutes(-1), t0.AddHours(1))}");
        Assert.Equal(HttpStatusCode.OK, status);
        Fixtures.AssertSameShape(Fixtures.Json("updated.json"), body);
        Assert.Equal([early], body!["ids"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Equal("2026-03-02T10:05:00.000+0000", body["latestDateCovered"]!.GetValue<string>());
        emu.Clock.Advance(TimeSpan.FromMinutes(1));
        var (_, later, _) = await emu.GetAsync($"{V}/sobjects/Lead/updated/{Window(t0.AddMinutes(1).AddSeconds(59), t0.AddHours(1))}");
        Assert.Equal([late], later!["ids"]!.AsArray().Select(i => i!.GetValue<string>()));
    }

    [Fact]
    public async Task Updated_and_deleted_reject_bad_windows()
    {
        await using var emu = await TestEmulator.StartAsync();
        var t0 = TestEmulator.Start;
        var (old, oldBody, _) = await emu.GetAsync($"{V}/sobjects/Lead/updated/{Window(t0.AddDays(-31), t0)}");
        Assert.Equal(HttpStatusCode.BadRequest, old);
        Assert.Equal("INVALID_REPLICATION_DATE", oldBody![0]!["errorCode"]!.GetValue<string>());
        var (reversed, _, _) = await emu.GetAsync($"{V}/sobjects/Lead/deleted/{Window(t0, t0.AddDays(-1))}");
        Assert.Equal(HttpStatusCode.BadRequest, reversed);
        var (missing, missingBody, _) = await emu.GetAsync($"{V}/sobjects/Lead/deleted/");
        Assert.Equal(HttpStatusCode.BadRequest, missing);
        Assert.Equal("MISSING_ARGUMENT", missingBody![0]!["errorCode"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deleted_lists_deletions_and_the_log_keeps_15_days()
    {
        await using var emu = await TestEmulator.StartAsync();
        var t0 = TestEmulator.Start;
        string id = await emu.CreateAsync("Account", new { Name = "Gone" });
        emu.Clock.Advance(TimeSpan.FromMinutes(3));
        await emu.SendAsync(HttpMethod.Delete, $"{V}/sobjects/Account/{id}");
        emu.Clock.Advance(TimeSpan.FromMinutes(2));
        var (_, body, _) = await emu.GetAsync($"{V}/sobjects/Account/deleted/{Window(t0, t0.AddHours(1))}");
        Fixtures.AssertSameShape(Fixtures.Json("deleted.json"), body);
        Assert.Equal(id, body!["deletedRecords"]![0]!["id"]!.GetValue<string>());
        Assert.Equal("2026-03-02T10:03:00.000+0000", body["deletedRecords"]![0]!["deletedDate"]!.GetValue<string>());
        Assert.Equal("2026-03-02T10:00:00.000+0000", body["earliestDateAvailable"]!.GetValue<string>());
        Assert.Equal("2026-03-02T10:05:00.000+0000", body["latestDateCovered"]!.GetValue<string>());

        emu.Clock.Advance(TimeSpan.FromDays(16));
        emu.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", emu.Host.CreateSession());
        var now = TestEmulator.Start.AddDays(16).AddMinutes(5);
        var (_, purged, _) = await emu.GetAsync($"{V}/sobjects/Account/deleted/{Window(t0, now)}");
        Assert.Empty(purged!["deletedRecords"]!.AsArray());
        Assert.Equal("2026-03-03T10:05:00.000+0000", purged["earliestDateAvailable"]!.GetValue<string>());
    }
}
