using System.Management.Automation;
using CrmSync.Engine;
using CrmSync.PowerShell.Hosting;

namespace CrmSync.PowerShell.Tests.Hosting;

public sealed class ErrorCategoryMappingTests
{
    public static TheoryData<ErrorKind> AllKinds()
    {
        var data = new TheoryData<ErrorKind>();
        foreach (ErrorKind kind in Enum.GetValues<ErrorKind>())
            data.Add(kind);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Every_ErrorKind_maps_to_the_ErrorCategory_of_the_same_name(ErrorKind kind)
    {
        ErrorCategory category = ErrorRecordFactory.ToCategory(kind);
        Assert.Equal(kind.ToString(), category.ToString());
    }

    [Fact]
    public void The_mapping_is_one_to_one()
    {
        var categories = Enum.GetValues<ErrorKind>().Select(ErrorRecordFactory.ToCategory).ToList();
        Assert.Equal(categories.Count, categories.Distinct().Count());
    }

    [Fact]
    public void ProfileNotFound_errors_are_ObjectNotFound()
    {
        Assert.Equal(ErrorCategory.ObjectNotFound, ErrorRecordFactory.ToCategory(ErrorKind.ObjectNotFound));
    }

    [Fact]
    public void An_unclassified_exception_gets_the_catalogued_UnexpectedError_id_and_keeps_the_original()
    {
        var original = new IOException("disk full");
        CrmSyncException wrapped = ErrorRecordFactory.Unexpected(original);
        Assert.Equal(ErrorIds.UnexpectedError, wrapped.ErrorId);
        Assert.Same(original, wrapped.InnerException);
        Assert.Contains("disk full", wrapped.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(wrapped.RecommendedAction));
    }
}
