using Neena.Api.Validation;

namespace Neena.UnitTests.Validation;

public sealed class ValidationErrorsTests
{
    [Theory]
    [InlineData("$", "body")]
    [InlineData("$.name", "body.name")]
    [InlineData("$.task_operations[0].name", "body.task_operations.0.name")]
    [InlineData("$.a[1][2]", "body.a.1.2")]
    public void BodyLocation_JsonPath_BecomesDottedLocation(string path, string expected) =>
        Assert.Equal(expected, ValidationErrors.BodyLocation(path));

    [Theory]
    [InlineData(typeof(Guid), "value is not a valid uuid")]
    [InlineData(typeof(int?), "value is not a valid integer")]
    [InlineData(typeof(DateTime), "invalid datetime format")]
    [InlineData(typeof(List<string>), "value is not a valid list")]
    [InlineData(typeof(string), "str type expected")]
    public void TypeMessage_KnownTypes_UseTheOriginalsWords(Type type, string expected) =>
        Assert.Equal(expected, ValidationErrors.TypeMessage(type));
}
