using System.Text.Json;
using Neena.Api.Errors;
using Neena.Domain.Common;

namespace Neena.Api.Services.Triggers;

/// <summary>
/// How deeply a delivery may nest: what is stored must read back (contract §3), and a delivery is stored twice, as the
/// trigger run's event and, by the processor, as the flow request's metadata <c>[fields]</c>, where each field sits two
/// levels deeper than in the body (the Incoming Webhook's one field, <c>payload</c>, is the whole body). So a body may nest
/// <see cref="JsonDepth.MaxStored"/> minus those two levels, whatever the platform, and a deeper one is refused before
/// anything is stored.
/// </summary>
public static class WebhookBodyDepth
{
    /// <summary>Levels the flow request's metadata adds around an event field: the array and the object of fields.</summary>
    public const int MetadataWrapping = 2;

    public const int MaxBodyDepth = JsonDepth.MaxStored - MetadataWrapping;

    /// <summary>What the receiver parses with: deep enough that a body over <see cref="MaxBodyDepth"/> gets this refusal, not a parser's.</summary>
    public static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = JsonDepth.MaxDocument };

    /// <exception cref="RequestValidationException">The body nests deeper than <see cref="MaxBodyDepth"/> (a 422 at <c>body</c>).</exception>
    public static void Check(JsonElement body)
    {
        if (JsonDepth.Exceeds(body, MaxBodyDepth))
            throw new RequestValidationException("body", JsonDepth.TooDeepMessage(MaxBodyDepth));
    }
}
