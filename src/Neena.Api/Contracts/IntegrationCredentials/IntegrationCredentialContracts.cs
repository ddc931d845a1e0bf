using FluentValidation;
using Neena.Api.Contracts.Common;
using Neena.Domain.Credentials;

namespace Neena.Api.Contracts.IntegrationCredentials;

/// <summary>A credential to store; name its integration by <c>integration</c> or <c>integration_short_name</c>.</summary>
[InputSchema("IntegrationCredentialCreate")]
public sealed record CreateIntegrationCredentialRequest
{
    /// <summary>The id of the integration the credential is for (or give <c>integration_short_name</c>).</summary>
    public Guid? Integration { get; init; }

    /// <summary>The short name of the integration the credential is for, such as <c>trello</c> or <c>slack</c> (or give <c>integration</c>).</summary>
    public string? IntegrationShortName { get; init; }

    /// <summary>A label for the credential (1–100 characters), e.g. whose account it is.</summary>
    [ApiField(Required = true)]
    public string? Name { get; init; }

    /// <summary>
    /// The secret values by field name: exactly the fields the integration lists in its <c>credential_fields</c>
    /// (Trello: <c>api_key</c>, <c>token</c>, <c>app_secret</c>; Slack: <c>bot_token</c>, <c>signing_secret</c>). They are
    /// stored encrypted and never shown again.
    /// </summary>
    [ApiField(Required = true)]
    public Dictionary<string, string?>? Credentials { get; init; }
}

public sealed class CreateIntegrationCredentialRequestValidator : AbstractValidator<CreateIntegrationCredentialRequest>
{
    public CreateIntegrationCredentialRequestValidator()
    {
        RuleFor(r => r.Name).NotEmpty().MaximumLength(IntegrationCredential.MaxNameLength);
        RuleFor(r => r.IntegrationShortName).NotEmpty().MaximumLength(100).When(r => r.IntegrationShortName is not null);
        RuleFor(r => r.Credentials).NotNull();
        RuleFor(r => r).Custom((r, context) =>
        {
            if (r.Integration is null && r.IntegrationShortName is null)
                context.AddFailure("integration", "field required: give integration or integration_short_name");
            foreach (var (field, value) in r.Credentials ?? [])
            {
                if (string.IsNullOrEmpty(value))
                    context.AddFailure($"credentials.{field}", "ensure this value has at least 1 characters");
                else if (value.Length > IntegrationCredential.MaxValueLength)
                    context.AddFailure($"credentials.{field}", $"ensure this value has at most {IntegrationCredential.MaxValueLength} characters");
            }
        });
    }
}

/// <summary>A stored credential: which fields it holds, never their values.</summary>
/// <param name="Integration">The id of the integration the credential is for.</param>
/// <param name="IntegrationShortName">The short name of that integration.</param>
/// <param name="Fields">The names of the fields it holds.</param>
/// <param name="LastUsedAt">When a task or a check last used it.</param>
/// <param name="DeletedAt">When it was deleted (its secrets destroyed); only a <c>DELETE</c> answer shows it set.</param>
[OutputSchema("IntegrationCredential")]
public sealed record IntegrationCredentialResponse(
    Guid Id,
    Guid Integration,
    string IntegrationShortName,
    string Name,
    IReadOnlyList<string> Fields,
    Guid Organization,
    DateTime CreatedDate,
    DateTime ModifiedDate,
    string? CreatedByEmail,
    string? ModifiedByEmail,
    DateTime? LastUsedAt,
    DateTime? DeletedAt);

/// <summary>The answer of a credential check.</summary>
/// <param name="Ok">Whether the platform accepted the credential.</param>
/// <param name="Detail">Who the credential acts as, or why the check failed.</param>
[OutputSchema("CredentialCheck")]
public sealed record CredentialCheckResponse(bool Ok, string Detail);
