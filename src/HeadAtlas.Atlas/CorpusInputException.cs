namespace HeadAtlas.Atlas;

/// <summary>Bad corpus input (missing file, binary or non-UTF-8 bytes, bad JSONL line, empty corpus).
/// The message names the file and, where there is one, the line; it is fit to show the user as-is.</summary>
public sealed class CorpusInputException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Bad build request: an output folder that holds something else, or a run built with other settings.</summary>
public sealed class BuildInputException(string message, Exception? inner = null) : Exception(message, inner);
