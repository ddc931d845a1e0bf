using System.Globalization;

namespace Neena.Agent.LanguageModel;

/// <summary>
/// Settings of the language model (configuration section <c>LanguageModel</c>). <see cref="ApiKey"/> is a secret: this
/// type deliberately overrides <see cref="ToString"/> so that logging the options can never print it.
/// </summary>
public sealed class LanguageModelOptions
{
    public const string SectionName = "LanguageModel";
    public const string ProviderNone = "none";
    public const string ProviderOpenAi = "openai";

    /// <summary><c>none</c> (default): no model; <c>openai</c>: any OpenAI-compatible chat-completions endpoint.</summary>
    public string Provider { get; set; } = ProviderNone;

    /// <summary>Base URL up to and including the version segment, as OpenAI clients take it (<c>https://api.openai.com/v1</c>).</summary>
    public string? Endpoint { get; set; }

    /// <summary>Sent as a bearer token; never logged or returned. Local servers that need none may leave it empty.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The model name the endpoint expects (<c>gpt-4o-mini</c>, <c>llama3.1</c>, …).</summary>
    public string? Model { get; set; }

    /// <summary>Time limit of one request to the model; exceeding it is a transient failure.</summary>
    public double TimeoutSeconds { get; set; } = 60;

    /// <summary>What <c>Retry-After</c> says when the model was unreachable or slow and did not say itself.</summary>
    public double DefaultRetryAfterSeconds { get; set; } = 5;

    public bool IsEnabled => string.Equals(Provider, ProviderOpenAi, StringComparison.OrdinalIgnoreCase);

    /// <summary>Null when usable, else what is wrong (named by configuration key, never showing the key's value).</summary>
    public string? Validate()
    {
        if (!IsEnabled && !string.Equals(Provider, ProviderNone, StringComparison.OrdinalIgnoreCase))
            return $"LanguageModel:Provider must be '{ProviderNone}' or '{ProviderOpenAi}', not '{Provider}'.";
        if (!(TimeoutSeconds > 0) || !double.IsFinite(TimeoutSeconds))
            return "LanguageModel:TimeoutSeconds must be a positive number.";
        if (!(DefaultRetryAfterSeconds >= 0) || !double.IsFinite(DefaultRetryAfterSeconds))
            return "LanguageModel:DefaultRetryAfterSeconds must be zero or more.";
        if (!IsEnabled)
            return null;
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
            return "LanguageModel:Endpoint must be an absolute http(s) URL including the version segment, e.g. https://api.openai.com/v1.";
        if (string.IsNullOrWhiteSpace(Model))
            return "LanguageModel:Model must name the model to use when LanguageModel:Provider is 'openai'.";
        return null;
    }

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"Provider={Provider}, Endpoint={Endpoint}, Model={Model}, TimeoutSeconds={TimeoutSeconds}, ApiKey={(string.IsNullOrEmpty(ApiKey) ? "(none)" : "(set)")}");
}
