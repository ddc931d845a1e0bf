using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Options;
using Neena.Agent.LanguageModel;
using Neena.Agent.Planning;

namespace Neena.Api.Errors;

/// <summary>
/// The language model's failures as HTTP answers, for the endpoints that ask it: unavailable (unreachable, timeout, 429,
/// 5xx) → <c>503</c> with <c>Retry-After</c> (the model's own, else <c>LanguageModel:DefaultRetryAfterSeconds</c>);
/// refused, or an invalid flow twice → <c>502</c> with the reasons.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class LanguageModelErrorsAttribute : ExceptionFilterAttribute
{
    public override void OnException(ExceptionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        switch (context.Exception)
        {
            case LanguageModelUnavailableException unavailable:
                var fallback = context.HttpContext.RequestServices.GetRequiredService<IOptions<LanguageModelOptions>>().Value.DefaultRetryAfterSeconds;
                var seconds = Math.Max(1, (long)Math.Ceiling(unavailable.RetryAfter?.TotalSeconds ?? fallback));
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                context.Result = Detail(StatusCodes.Status503ServiceUnavailable, unavailable.Message);
                context.ExceptionHandled = true;
                break;
            case LanguageModelException refused:
                context.Result = Detail(StatusCodes.Status502BadGateway, refused.Message);
                context.ExceptionHandled = true;
                break;
            case InvalidPlanException invalid:
                context.Result = Detail(StatusCodes.Status502BadGateway, invalid.Message);
                context.ExceptionHandled = true;
                break;
            default:
                break;
        }
    }

    private static ObjectResult Detail(int status, string detail) => new(new DetailResponse(detail)) { StatusCode = status };
}
