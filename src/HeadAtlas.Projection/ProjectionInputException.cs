namespace HeadAtlas.Projection;

/// <summary>Bad input to a projection (file content, options): the message names the file and the row/column/option.</summary>
public sealed class ProjectionInputException(string message) : Exception(message);
