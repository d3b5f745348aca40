namespace LanguageModel.Tests.Support;

/// <summary>
/// Tests whose numbers depend on torch's process-global random state run one at a time in this collection.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchCollection
{
    public const string Name = "Torch global state";
}
