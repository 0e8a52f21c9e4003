namespace CrmSync.PowerShell.Tests.Module;

/// <summary>PowerShell's ConfirmImpact values, as stored in the [Cmdlet] attribute.</summary>
public enum Impact
{
    None = 0,
    Low = 1,
    Medium = 2,
    High = 3,
}

/// <summary>One cmdlet parameter as declared in the built DLL.</summary>
public sealed record ParameterFacts(string Name, string TypeFullName, IReadOnlyList<string> ParameterSetNames, bool FromPipelineByPropertyName = false);

/// <summary>What the built DLL declares about one cmdlet class (read with MetadataLoadContext).</summary>
public sealed record CmdletFacts(
    string ClassName,
    string Verb,
    string Noun,
    bool IsPublic,
    bool IsSealed,
    bool SupportsShouldProcess,
    Impact ConfirmImpact,
    string? DefaultParameterSetName,
    IReadOnlyList<string> OutputTypes,
    IReadOnlyList<ParameterFacts> Parameters)
{
    /// <summary>The full names of the base classes, nearest first.</summary>
    public IReadOnlyList<string> BaseClasses { get; init; } = [];

    public string Name => $"{Verb}-{Noun}";
}
