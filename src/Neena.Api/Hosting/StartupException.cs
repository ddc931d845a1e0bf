namespace Neena.Api.Hosting;

/// <summary>A configuration or environment problem that stops start-up; its message tells the operator what to do.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
