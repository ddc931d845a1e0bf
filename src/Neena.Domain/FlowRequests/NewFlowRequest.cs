using System.Text.Json.Nodes;

namespace Neena.Domain.FlowRequests;

/// <summary>A flow request to create for the acting organization, optionally served by one of its flows.</summary>
public sealed record NewFlowRequest(string Instructions, JsonArray Metadata, string? Name, Guid? Flow);
