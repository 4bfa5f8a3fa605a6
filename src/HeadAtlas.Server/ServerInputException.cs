namespace HeadAtlas.Server;

/// <summary>A run folder or server setting the user gave is unusable; the message names the file, field or port.</summary>
public sealed class ServerInputException(string message, Exception? inner = null) : Exception(message, inner);
