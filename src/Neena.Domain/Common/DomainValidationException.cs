namespace Neena.Domain.Common;

/// <summary>
/// A command refused its input: every problem found, each as the field it concerns (a dotted path in the input's JSON
/// names, e.g. <c>task_operations.0.task_definition</c>) and what is wrong with it. The API answers it as a 422 whose
/// locations are those fields in the request's body; background work reads the messages.
/// </summary>
public class DomainValidationException : Exception
{
    public DomainValidationException(IReadOnlyList<KeyValuePair<string, string>> errors)
        : base("Validation Error") => Errors = errors;

    public DomainValidationException(string field, string message) : this([new(field, message)]) { }

    public IReadOnlyList<KeyValuePair<string, string>> Errors { get; }
}
