using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Neena.Api.Contracts.Common;
using Neena.Api.Errors;

namespace Neena.Api.Validation;

/// <summary>
/// Turns model-binding failures into the contract's 422 (<c>{"errors": [{"query.id": "value is not a valid uuid"}]}</c>),
/// with messages in the original's words rather than MVC's.
/// </summary>
public static partial class ValidationErrors
{
    public const string FieldRequired = "field required";
    private const string NotValid = "value is not valid";

    public static IActionResult ToResponse(ActionContext context)
    {
        var parameters = context.ActionDescriptor.Parameters.OfType<ControllerParameterDescriptor>().ToList();
        var body = parameters.FirstOrDefault(p => p.BindingInfo?.BindingSource == BindingSource.Body);
        var errors = new List<KeyValuePair<string, string>>();
        var hasJsonPathError = context.ModelState.Keys.Any(k => k.StartsWith('$'));

        foreach (var (key, entry) in context.ModelState)
        {
            foreach (var error in entry.Errors)
            {
                if (key.StartsWith('$') || (body is not null && IsBodyParameterKey(key, body.Name)))
                {
                    // A JSON error already says what is wrong; MVC's extra "the body is required" only repeats it.
                    if (!key.StartsWith('$') && hasJsonPathError)
                        continue;
                    errors.Add(BodyError(key, body?.Name, error));
                }
                else
                {
                    var parameter = parameters.FirstOrDefault(p => string.Equals(BoundName(p), key, StringComparison.OrdinalIgnoreCase));
                    var source = parameter?.BindingInfo?.BindingSource;
                    var location = source == BindingSource.Header ? "header" : source == BindingSource.Path ? "path" : "query";
                    var message = error.ErrorMessage == FieldRequired ? FieldRequired : TypeMessage(FindType(parameters, key));
                    var name = string.Join('.', key.Split('.').Select(System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName));
                    errors.Add(new($"{location}.{name}", message));
                }
            }
        }
        // [BindRequired] reports an unparsable value as missing too; the type error is the useful one.
        var typed = errors.Where(e => e.Value != FieldRequired).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        var distinct = errors
            .Where(e => e.Value != FieldRequired || !typed.Contains(e.Key))
            .DistinctBy(e => e.Key + "\n" + e.Value);
        return new UnprocessableEntityObjectResult(ValidationErrorResponse.From(distinct));
    }

    /// <summary>The name a parameter is bound by (<c>[FromQuery(Name = "flow_run_id")]</c>), else its C# name.</summary>
    private static string BoundName(ControllerParameterDescriptor p) => p.BindingInfo?.BinderModelName ?? p.Name;

    private static bool IsBodyParameterKey(string key, string name) =>
        key.Length == 0 || key == name || key.StartsWith(name + ".", StringComparison.Ordinal) || key.StartsWith(name + "[", StringComparison.Ordinal);

    private static KeyValuePair<string, string> BodyError(string key, string? parameterName, ModelError error)
    {
        var message = error.ErrorMessage;
        if (!key.StartsWith('$'))
            return new("body", FieldRequired);

        var converted = ConvertedTo().Match(message);
        if (converted.Success)
            return new(BodyLocation(key), TypeMessage(converted.Groups["type"].Value));
        if (JsonValueRules.TryParseRefusal(message, out var refusal, out var below))
        {
            var location = BodyLocation(key);
            return new(below.Length == 0 ? location : $"{location}.{below}", refusal);
        }
        if (message.Contains("required properties", StringComparison.Ordinal))
            return new(BodyLocation(key), FieldRequired);
        // Anything else from the JSON reader is a syntax problem with the document as a whole.
        _ = parameterName;
        return new("body", "invalid JSON: " + JsonSyntaxMessage(message));
    }

    /// <summary><c>$.task_operations[0].name</c> → <c>body.task_operations.0.name</c>.</summary>
    public static string BodyLocation(string jsonPath)
    {
        var path = jsonPath.TrimStart('$').TrimStart('.');
        return path.Length == 0 ? "body" : "body." + NormalizePath(path);
    }

    public static string NormalizePath(string path) => Indexer().Replace(path, ".$1").TrimStart('.');

    internal static string JsonSyntaxMessage(string message)
    {
        // STJ appends "Path: … | LineNumber: … | BytePositionInLine: …": keep the position, drop type names.
        var at = message.IndexOf(" Path:", StringComparison.Ordinal);
        var head = at > 0 ? message[..at] : message;
        var position = LinePosition().Match(message);
        return position.Success
            ? $"{head.TrimEnd('.')} (line {int.Parse(position.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1}, column {int.Parse(position.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) + 1})"
            : head;
    }

    private static Type? FindType(List<ControllerParameterDescriptor> parameters, string key)
    {
        foreach (var p in parameters)
        {
            if (string.Equals(BoundName(p), key, StringComparison.OrdinalIgnoreCase))
                return p.ParameterType;
            var property = p.ParameterType.GetProperties().FirstOrDefault(pi =>
                string.Equals(pi.Name, key, StringComparison.OrdinalIgnoreCase)
                || string.Equals(System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(pi.Name), key, StringComparison.Ordinal));
            if (property is not null && !p.ParameterType.IsPrimitive && p.ParameterType != typeof(string))
                return property.PropertyType;
        }
        return null;
    }

    public static string TypeMessage(Type? type)
    {
        if (type is null)
            return NotValid;
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsEnum)
            return "value is not a valid enumeration member";
        return TypeMessage(type.FullName ?? type.Name);
    }

    private static string TypeMessage(string typeName)
    {
        if (typeName.StartsWith("System.Nullable`1[", StringComparison.Ordinal))
            typeName = typeName["System.Nullable`1[".Length..^1];
        var shortName = typeName[(typeName.LastIndexOf('.') + 1)..];
        if (typeName.Contains("`1[", StringComparison.Ordinal) || typeName.EndsWith("[]", StringComparison.Ordinal))
            return typeName.Contains("Dictionary", StringComparison.Ordinal) ? "value is not a valid dict" : "value is not a valid list";
        return shortName switch
        {
            "Guid" => "value is not a valid uuid",
            "Int16" or "Int32" or "Int64" => "value is not a valid integer",
            "Double" or "Decimal" or "Single" => "value is not a valid number",
            "DateTime" or "DateTimeOffset" => "invalid datetime format",
            "Boolean" => "value could not be parsed to a boolean",
            "String" => "str type expected",
            _ => "value is not a valid dict",
        };
    }

    [GeneratedRegex(@"converted to (?<type>[^ ]+?)\.? Path:")]
    private static partial Regex ConvertedTo();

    [GeneratedRegex(@"\[(\d+)\]")]
    private static partial Regex Indexer();

    [GeneratedRegex(@"LineNumber: (\d+) \| BytePositionInLine: (\d+)")]
    private static partial Regex LinePosition();
}
