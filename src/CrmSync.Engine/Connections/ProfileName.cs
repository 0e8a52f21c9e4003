using System.Text.RegularExpressions;

namespace CrmSync.Engine.Connections;

/// <summary>
/// Rules for profile names: 1 to 64 letters, digits, '-' or '_' (so a name is always a safe file name), and none
/// of the device names Windows reserves (CON, NUL, COM1, ...).
/// </summary>
public static partial class ProfileName
{
    /// <summary>The profile used when none is named.</summary>
    public const string Default = "default";

    /// <summary>True when <paramref name="name"/> is a valid profile name.</summary>
    public static bool IsValid(string? name) =>
        name is not null && NamePattern().IsMatch(name) && !ReservedDeviceName().IsMatch(name);

    /// <summary>Returns <paramref name="name"/> or throws <see cref="ErrorIds.InvalidProfileName"/>.</summary>
    public static string Validate(string? name)
    {
        if (IsValid(name))
            return name!;
        var shown = name is null ? "(null)" : name.Length > 80 ? name[..80] + "..." : name;
        throw new CrmSyncException(ErrorIds.InvalidProfileName, ErrorKind.InvalidArgument,
            $"'{shown}' is not a valid CrmSync profile name: use 1 to 64 letters, digits, '-' or '_' " +
            "(and not a Windows device name such as CON or NUL).",
            "Choose a profile name such as 'prod' or 'sales-sandbox'.", shown);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex("^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ReservedDeviceName();
}
