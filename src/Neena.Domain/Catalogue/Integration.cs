using Neena.Domain.Common;

namespace Neena.Domain.Catalogue;

/// <summary>An integration of the global catalogue (not owned by an organization); synchronised from code at start-up.</summary>
public sealed class Integration : ISoftDeletable
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string ClassName { get; set; }
    public required string Name { get; set; }
    public required string ShortName { get; set; }

    /// <summary><c>none</c>, <c>api_key</c> or <c>oauth2</c>.</summary>
    public required string AuthType { get; set; }

    /// <summary>The fields a stored credential for this integration must hold; empty when it takes none.</summary>
    public List<CredentialFieldDefinition> CredentialFields { get; set; } = [];

    public DateTime CreatedDate { get; set; }
    public DateTime ModifiedDate { get; set; }
    public DateTime? DeletedAt { get; set; }
}

public sealed record ParameterDefinition(string Name, string DataType, int Position, string? DocString, bool Optional);

/// <summary>A task of an integration, derived from the implementing method's input and output types.</summary>
public sealed class TaskDefinition : ISoftDeletable
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid IntegrationId { get; set; }
    public Integration? Integration { get; set; }
    public required string TaskName { get; set; }
    public List<ParameterDefinition> Parameters { get; set; } = [];
    public required string InputType { get; set; }
    public string InputYml { get; set; } = "";
    public string Description { get; set; } = "";

    /// <summary>The implementing method's full name; the column keeps the original's name.</summary>
    public required string PythonMethodName { get; set; }

    public required string OutputType { get; set; }
    public string OutputYml { get; set; } = "";
    public List<ParameterDefinition> OutputParameters { get; set; } = [];
    public bool OutputIsList { get; set; }

    public DateTime CreatedDate { get; set; }
    public DateTime ModifiedDate { get; set; }
    public string? CreatedByEmail { get; set; }
    public string? ModifiedByEmail { get; set; }
    public DateTime? DeletedAt { get; set; }
}

/// <summary>One field a credential for an integration holds, as declared in code; a name and its meaning, never a value.</summary>
public sealed record CredentialFieldDefinition(string Name, string DocString);
