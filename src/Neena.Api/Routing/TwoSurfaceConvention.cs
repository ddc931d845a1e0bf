using Microsoft.AspNetCore.Mvc.ApplicationModels;

namespace Neena.Api.Routing;

public enum ApiSurface
{
    /// <summary>The root paths (<c>/flow_runs</c>), documented with the <c>api_key</c> header.</summary>
    Legacy,

    /// <summary>The <c>/api/v1</c> paths, documented with bearer tokens.</summary>
    V1,
}

/// <summary>Endpoint metadata naming the surface a route belongs to.</summary>
public sealed record ApiSurfaceMetadata(ApiSurface Surface);

/// <summary>
/// Serves every controller on both surfaces: each attribute route gets an <c>/api/v1</c> twin, and every route
/// carries <see cref="ApiSurfaceMetadata"/> so the one documented difference (<c>flow_result</c> vs <c>result</c>)
/// can be decided from the route the request came in on.
/// </summary>
internal sealed class TwoSurfaceConvention : IApplicationModelConvention
{
    public const string V1Prefix = "api/v1";

    public void Apply(ApplicationModel application)
    {
        foreach (var controller in application.Controllers)
        {
            var legacy = controller.Selectors.Where(s => s.AttributeRouteModel is not null).ToList();
            foreach (var selector in legacy)
            {
                var v1 = new SelectorModel(selector)
                {
                    AttributeRouteModel = new AttributeRouteModel(selector.AttributeRouteModel!)
                    {
                        Template = $"{V1Prefix}/{selector.AttributeRouteModel!.Template}".TrimEnd('/'),
                    },
                };
                v1.EndpointMetadata.Add(new ApiSurfaceMetadata(ApiSurface.V1));
                selector.EndpointMetadata.Add(new ApiSurfaceMetadata(ApiSurface.Legacy));
                controller.Selectors.Add(v1);
            }
        }
    }
}

public static class ApiSurfaceExtensions
{
    public static ApiSurface GetApiSurface(this HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<ApiSurfaceMetadata>()?.Surface ?? ApiSurface.V1;

    /// <summary>The key of a run's flow result in <c>with_flow_result</c>: the one documented difference between the surfaces.</summary>
    public static string FlowResultKey(this ApiSurface surface) => surface == ApiSurface.V1 ? "flow_result" : "result";
}
