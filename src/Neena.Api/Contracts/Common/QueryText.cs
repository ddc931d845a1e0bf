using FluentValidation;

namespace Neena.Api.Contracts.Common;

/// <summary>
/// Rules for free text read from the query string. Its decoding already replaces malformed UTF-8, but U+0000 survives it
/// and PostgreSQL refuses it in a comparison, so it is refused here like anywhere in a body (contract §3).
/// </summary>
public static class QueryText
{
    public static IRuleBuilderOptions<T, string?> StorableText<T>(this IRuleBuilder<T, string?> rule, int maxLength) =>
        rule.Must(v => v is null || !v.Contains('\0', StringComparison.Ordinal)).WithMessage(JsonValueRules.NulMessage)
            .MaximumLength(maxLength);
}
