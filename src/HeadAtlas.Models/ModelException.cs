namespace HeadAtlas.Models;

/// <summary>The one error type for bad model input (unknown model, bad file, unknown hook): the message
/// names the file, field or hook and is fit to show the user as-is.</summary>
public sealed class ModelException(string message, Exception? inner = null) : Exception(message, inner);
