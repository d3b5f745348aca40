using System.Text.Json;
using System.Text.Json.Nodes;
using LanguageModel;

namespace Ptb;

/// <summary><c>--set NAME=VALUE</c>: changes any <see cref="PtbConfig"/> property of a preset, for experiments.</summary>
internal static class ConfigOverrides
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    public static PtbConfig Apply(PtbConfig preset, IEnumerable<string> assignments)
    {
        var node = JsonSerializer.SerializeToNode(preset)!.AsObject();
        var names = node.Select(p => p.Key).ToList();
        foreach (string assignment in assignments)
        {
            int equals = assignment.IndexOf('=');
            if (equals <= 0)
                throw new ArgumentException($"--set {assignment}: write NAME=VALUE, for example --set TieWeights=false.");
            string key = assignment[..equals].Trim();
            string text = assignment[(equals + 1)..].Trim();
            string name = names.FirstOrDefault(n => string.Equals(n, key, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArgumentException($"--set {assignment}: no configuration property '{key}'; the properties are {string.Join(", ", names.Where(IsSettable))}.");
            if (!IsSettable(name))
                throw new ArgumentException($"--set {assignment}: '{name}' is computed from the other properties and cannot be set.");
            node[name] = ParseValue(text);
        }
        try
        {
            return node.Deserialize<PtbConfig>(Json)!.Validate();
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"--set: a value does not fit its property ({e.Path?.TrimStart('$', '.')}): {e.Message}", e);
        }
    }

    private static bool IsSettable(string name) => typeof(PtbConfig).GetProperty(name)?.SetMethod is not null;

    private static JsonNode? ParseValue(string text)
    {
        if (text is "null" or "") return null;
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text); // a bare word such as a time span 00:15:00 or a name
        }
    }
}
