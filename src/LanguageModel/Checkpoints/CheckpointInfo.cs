namespace LanguageModel;

/// <summary>What a checkpoint describes, read without building the model.</summary>
/// <param name="Config">The model's configuration.</param>
/// <param name="VocabularySize">The number of words in its vocabulary.</param>
/// <param name="FormatVersion">The checkpoint format version.</param>
/// <param name="Training">The training state, for checkpoints written during training.</param>
public sealed record CheckpointInfo(PtbConfig Config, int VocabularySize, int FormatVersion, TrainingState? Training);
