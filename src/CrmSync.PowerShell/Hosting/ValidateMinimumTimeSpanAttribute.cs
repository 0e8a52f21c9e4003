using System.Globalization;
using System.Management.Automation;

namespace CrmSync.PowerShell.Hosting;

/// <summary>
/// Declarative check that a <see cref="TimeSpan"/> parameter is at least <see cref="Minimum"/> ([ValidateRange] cannot
/// express TimeSpan bounds in an attribute): <c>[ValidateMinimumTimeSpan("00:00:01")]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateMinimumTimeSpanAttribute : ValidateArgumentsAttribute
{
    /// <param name="minimum">The smallest value accepted, in the invariant "c" format (e.g. "00:00:01").</param>
    public ValidateMinimumTimeSpanAttribute(string minimum) =>
        Minimum = TimeSpan.Parse(minimum, CultureInfo.InvariantCulture);

    /// <summary>The smallest value accepted.</summary>
    public TimeSpan Minimum { get; }

    /// <inheritdoc />
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        var value = arguments is PSObject wrapped ? wrapped.BaseObject : arguments;
        if (value is not TimeSpan span)
            throw new ValidationMetadataException($"The value must be a time span of at least {Minimum:c}.");
        if (span < Minimum)
            throw new ValidationMetadataException(string.Create(CultureInfo.InvariantCulture,
                $"The time span {span:c} is shorter than the minimum {Minimum:c}."));
    }
}
