namespace Neena.Agent.LanguageModel;

/// <summary>
/// The model could not be asked right now: unreachable, too slow, rate-limited (429) or failing on its side (5xx). Worth
/// asking again later; <see cref="RetryAfter"/> is the endpoint's own <c>Retry-After</c> when it gave one.
/// </summary>
public sealed class LanguageModelUnavailableException(string message, TimeSpan? retryAfter, Exception? innerException = null)
    : Exception(message, innerException)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// The model endpoint refused the request for a reason that asking again will not fix (wrong key, unknown model, a
/// request it rejects) or answered something that is not an answer. Messages never carry the API key.
/// </summary>
public sealed class LanguageModelException(string message, Exception? innerException = null) : Exception(message, innerException);
