using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Neena.Agent.LanguageModel;
using Neena.Domain.Catalogue;

namespace Neena.Agent.Planning;

/// <summary>
/// Plans without a language model (§6): the candidates whose similarity to the request reaches the threshold, ordered
/// and wired by data flow. An input takes, in this order of preference: an earlier operation's output of the same name and
/// a fitting type; the request's metadata key of the same name, or a field of that name nested in the metadata (a webhook's
/// event), or the request's <c>name</c> / <c>instructions</c>; and, for a
/// required input only, the one output of a fitting type of the nearest earlier operation. Each task output so used makes
/// a dependency and a <c>{{tasks.N.result.NAME}}</c> binding. An output that only repeats an input of the same name (an
/// echo) produced nothing new, so nothing is wired from it by type alone, and it does not pull its task ahead.
/// </summary>
public static class DataFlowPlanner
{
    /// <returns>The plan, or null with <paramref name="nothingFits"/> saying why no candidate serves the request.</returns>
    public static PlannedFlow? Plan(PlanningRequest request, IReadOnlyList<PlanCandidate> candidates, PlannerOptions options, out string? nothingFits)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(options);
        nothingFits = null;
        if (candidates.Count == 0)
        {
            nothingFits = "nothing in the catalogue fits the request: the catalogue has no task definitions";
            return null;
        }
        var best = candidates.MaxBy(c => c.Similarity)!;
        var cutoff = Math.Max(options.SimilarityThreshold, options.RelativeThreshold * best.Similarity);
        if (best.Similarity < options.SimilarityThreshold)
        {
            nothingFits = string.Create(CultureInfo.InvariantCulture,
                $"nothing in the catalogue fits the request: the most similar task, '{best.TaskName}', scores {best.Similarity:0.00}, below the threshold {options.SimilarityThreshold:0.00}");
            return null;
        }

        var selected = candidates.Where(c => c.Similarity >= cutoff).OrderByDescending(c => c.Similarity).ToList();
        var ordered = Order(selected);
        var explanation = new StringBuilder();
        explanation.Append(CultureInfo.InvariantCulture,
            $"Planned without a language model from the {candidates.Count} task definitions most similar to the request: chose {string.Join(", ", selected.Select(c => $"{c.TaskName} ({c.Similarity:0.00})"))}, ");
        explanation.Append(CultureInfo.InvariantCulture,
            $"the ones scoring at least {cutoff:0.00} ({options.SimilarityThreshold:0.00}, or {options.RelativeThreshold * 100:0}% of the best, whichever is higher).");

        var operations = new List<OperationDraft>();
        var dependencies = new List<(int Source, int Target, string Why)>();
        var unbound = new List<string>();
        for (var index = 0; index < ordered.Count; index++)
        {
            var candidate = ordered[index];
            var parameters = new JsonObject();
            foreach (var input in candidate.Parameters.OrderBy(p => p.Position))
            {
                var (binding, source, why) = Bind(request, ordered, index, input);
                if (binding is null)
                {
                    if (!input.Optional)
                        unbound.Add($"{candidate.TaskName}'s {input.Name}");
                    continue;
                }
                parameters[input.Name] = binding;
                if (source is { } from)
                {
                    if (!dependencies.Any(d => d.Source == from && d.Target == index))
                        dependencies.Add((from, index, $"{input.Name} from {ordered[from].TaskName}"));
                    explanation.Append(CultureInfo.InvariantCulture, $" {candidate.TaskName} runs after {ordered[from].TaskName}: its {input.Name} is {why}.");
                }
                else
                {
                    explanation.Append(CultureInfo.InvariantCulture, $" {candidate.TaskName}'s {input.Name} is {why}.");
                }
            }
            operations.Add(new OperationDraft(
                candidate.TaskName, candidate.TaskDefinition, request.Instructions, X: null, Y: null, index, parameters.Count == 0 ? null : parameters));
        }
        if (unbound.Count > 0)
            explanation.Append(" Left for preparation when the flow runs (request metadata of the same name, or a language model): ").Append(string.Join(", ", unbound)).Append('.');

        var flow = new FlowDraft(FlowName(request), operations, dependencies.Select(d => new DependencyDraft(d.Source, d.Target, d.Why)).ToList());
        return new PlannedFlow(flow, explanation.ToString(), TokenUsage.None, PlannedFlow.DataFlowPlanner, null);
    }

    /// <summary>
    /// Producers before their consumers (Kahn's algorithm, the most similar ready candidate first). A cycle of relations is
    /// broken in favour of the exact ones (same name): those are kept, the type-only ones dropped; a cycle that remains is
    /// broken by taking the most similar remaining candidate.
    /// </summary>
    private static List<PlanCandidate> Order(List<PlanCandidate> selected)
    {
        var remaining = selected.ToList(); // most similar first
        var ordered = new List<PlanCandidate>();
        while (remaining.Count > 0)
        {
            var next = remaining.FirstOrDefault(c => !remaining.Any(p => p != c && Feeds(p, c, exactOnly: false)))
                ?? remaining.FirstOrDefault(c => !remaining.Any(p => p != c && Feeds(p, c, exactOnly: true)))
                ?? remaining[0];
            ordered.Add(next);
            remaining.Remove(next);
        }
        return ordered;
    }

    private static bool Feeds(PlanCandidate producer, PlanCandidate consumer, bool exactOnly) =>
        consumer.Parameters.Any(input => producer.Outputs.Any(output => !IsEcho(producer, output) && Fits(output, input)
            && (NameKey(output.Name) == NameKey(input.Name) || (!exactOnly && !input.Optional))));

    private static (JsonNode? Binding, int? Source, string Why) Bind(PlanningRequest request, List<PlanCandidate> ordered, int index, ParameterDefinition input)
    {
        var key = NameKey(input.Name);
        // An earlier operation's output of the same name, nearest first.
        for (var j = index - 1; j >= 0; j--)
        {
            var output = ordered[j].Outputs.FirstOrDefault(o => NameKey(o.Name) == key && Fits(o, input) && !IsEcho(ordered[j], o));
            if (output is not null)
                return (Reference(j, output), j, $"{ordered[j].TaskName}'s {output.Name} (same name and type)");
        }
        // The request's own data of the same name.
        foreach (var item in request.Metadata.OfType<JsonObject>())
        {
            var match = item.Select(p => p.Key).FirstOrDefault(k => NameKey(k) == key);
            if (match is not null && MetadataFields.IsPlainKey(match))
                return (JsonValue.Create($"{{{{request.metadata.{match}}}}}"), null, $"the request metadata's '{match}'");
        }
        // A field of that name further down (a webhook's event lies under its field, e.g. payload).
        if (MetadataFields.FindNested(request.Metadata, input.Name) is { } path)
        {
            var dotted = string.Join('.', path);
            return (JsonValue.Create($"{{{{request.metadata.{dotted}}}}}"), null, $"the request metadata's '{dotted}'");
        }
        if (key == "name" && !string.IsNullOrWhiteSpace(request.Name) && input.DataType == "string")
            return (JsonValue.Create("{{request.name}}"), null, "the request's name");
        if (key is "instructions" or "requestinstructions" && input.DataType == "string")
            return (JsonValue.Create("{{request.instructions}}"), null, "the request's instructions");
        // A required input: the only output of a fitting type of the nearest earlier operation that has one.
        if (!input.Optional)
        {
            for (var j = index - 1; j >= 0; j--)
            {
                var fitting = ordered[j].Outputs.Where(o => Fits(o, input) && !IsEcho(ordered[j], o)).ToList();
                if (fitting.Count == 1)
                    return (Reference(j, fitting[0]), j, $"{ordered[j].TaskName}'s {fitting[0].Name} (the only {fitting[0].DataType} it produces)");
            }
        }
        return (null, null, "");
    }

    private static JsonValue Reference(int index, ParameterDefinition output) =>
        JsonValue.Create(string.Create(CultureInfo.InvariantCulture, $"{{{{tasks.{index}.result.{output.Name}}}}}"));

    /// <summary>An output that repeats an input of the same name carries what the task was given, nothing it produced.</summary>
    private static bool IsEcho(PlanCandidate task, ParameterDefinition output) =>
        task.Parameters.Any(p => NameKey(p.Name) == NameKey(output.Name));

    /// <summary>Same data type; an integer also fits a number.</summary>
    private static bool Fits(ParameterDefinition output, ParameterDefinition input) =>
        output.DataType == input.DataType || (output.DataType == "integer" && input.DataType == "number");

    /// <summary><c>userName</c>, <c>user_name</c> and <c>user-name</c> are one name.</summary>
    private static string NameKey(string name) =>
        string.Concat(name.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant));

    private static string FlowName(PlanningRequest request)
    {
        var name = string.IsNullOrWhiteSpace(request.Name) ? request.Instructions.Trim() : request.Name.Trim();
        name = string.Join(' ', name.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return name.Length <= 80 ? name : string.Concat(name.AsSpan(0, 79), "…");
    }
}
