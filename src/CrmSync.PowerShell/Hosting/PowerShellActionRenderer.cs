using CrmSync.Engine;
using CrmSync.Engine.Shell;

namespace CrmSync.PowerShell.Hosting;

/// <summary>Spells engine actions as cmdlets: <c>Connect-CrmSync -Profile prod</c>.</summary>
public sealed class PowerShellActionRenderer : ShellActionRenderer
{
    /// <summary>The one instance (the renderer holds no state).</summary>
    public static PowerShellActionRenderer Instance { get; } = new();

    /// <inheritdoc/>
    public override string Render(ShellAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var words = new List<string> { Cmdlet(action.Action) };
        foreach (ActionArgument argument in action.Arguments)
        {
            words.Add("-" + argument.Parameter);
            if (argument.Value is not null)
                words.Add(Quote(argument.Value));
        }
        return string.Join(' ', words);
    }

    /// <inheritdoc/>
    public override string RenderParameter(ShellParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        return parameter.Parameter switch
        {
            ActionParameter.Password => "-Credential",
            ActionParameter.ObjectAndField => "-Object and -Field",
            _ => "-" + parameter.Parameter,
        };
    }

    /// <summary>The cmdlet (or command line) that performs <paramref name="action"/>.</summary>
    public static string Cmdlet(CrmSyncAction action) => action switch
    {
        CrmSyncAction.Connect => "Connect-CrmSync",
        CrmSyncAction.Disconnect => "Disconnect-CrmSync",
        CrmSyncAction.SyncFields => "Sync-CrmField",
        CrmSyncAction.GetFields => "Get-CrmField",
        CrmSyncAction.GetMapping => "Get-CrmFieldMapping",
        CrmSyncAction.SetMapping => "Set-CrmFieldMapping",
        CrmSyncAction.MappingHelp => "Get-Help Set-CrmFieldMapping",
        CrmSyncAction.ExportMapping => "Export-CrmFieldMapping",
        CrmSyncAction.Start => "Start-CrmSync",
        CrmSyncAction.Stop => "Stop-CrmSync",
        CrmSyncAction.Status => "Get-CrmSyncStatus",
        CrmSyncAction.Errors => "Get-CrmSyncError",
        CrmSyncAction.Conflicts => "Get-CrmSyncConflict",
        CrmSyncAction.Duplicates => "Find-CrmDuplicate",
        CrmSyncAction.GetNotification => "Get-CrmSyncNotification",
        CrmSyncAction.SetNotification => "Set-CrmSyncNotification",
        CrmSyncAction.TestConnection => "Test-CrmSyncConnection",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "This action has no cmdlet yet."),
    };

    // Placeholders (<host>) and plain words stay as they are; a value with blanks is quoted the PowerShell way.
    private static string Quote(string value) =>
        value.StartsWith('<') || !value.Any(char.IsWhiteSpace) ? value : "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
