using System.Text.Json;
using System.Text.Json.Serialization;

namespace Neena.Integrations.Credentials;

/// <summary>
/// The decrypted fields of one organization's credential for one integration, as a running task receives them.
/// It never prints or serialises its values: <see cref="ToString"/> names the fields only, and JSON gets a placeholder,
/// so a credential that slips into a log message, an exception or a task's output does not carry its secrets with it.
/// </summary>
[JsonConverter(typeof(RedactingConverter))]
public sealed class IntegrationCredentials
{
    public const string Redacted = "[redacted]";

    private readonly Dictionary<string, string> _fields;

    public IntegrationCredentials(Guid id, string integrationShortName, IReadOnlyDictionary<string, string> fields)
    {
        ArgumentException.ThrowIfNullOrEmpty(integrationShortName);
        ArgumentNullException.ThrowIfNull(fields);
        Id = id;
        IntegrationShortName = integrationShortName;
        _fields = new Dictionary<string, string>(fields, StringComparer.Ordinal);
    }

    /// <summary>The stored credential's id (the <c>integration_credentials</c> row).</summary>
    public Guid Id { get; }

    public string IntegrationShortName { get; }

    public IReadOnlyCollection<string> FieldNames => _fields.Keys;

    /// <summary>The value of a declared field.</summary>
    /// <exception cref="TaskFailedException">The credential has no such field (it was stored before the field was declared).</exception>
    public string Require(string field) =>
        _fields.TryGetValue(field, out var value) && !string.IsNullOrEmpty(value)
            ? value
            : throw new TaskFailedException(
                $"The credential for integration '{IntegrationShortName}' has no '{field}'; store the credential again with every field the integration declares.");

    /// <summary>Every value, for code that must make sure none of them leaves the server (redaction of platform answers).</summary>
    public IEnumerable<string> Values => _fields.Values;

    public override string ToString() =>
        $"credential {Id} for '{IntegrationShortName}' (fields: {string.Join(", ", _fields.Keys.Order(StringComparer.Ordinal))})";

    private sealed class RedactingConverter : JsonConverter<IntegrationCredentials>
    {
        public override IntegrationCredentials Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new JsonException("Credentials cannot be read from JSON.");

        public override void Write(Utf8JsonWriter writer, IntegrationCredentials value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Redacted);
    }
}
