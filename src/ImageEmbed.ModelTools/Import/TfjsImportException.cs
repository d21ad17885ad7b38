namespace ImageEmbed.ModelTools.Import;

/// <summary>
/// A TensorFlow.js model could not be imported: a file is missing or malformed, or the graph uses
/// something the converter does not support. The message names the file or node and the problem.
/// </summary>
public sealed class TfjsImportException(string message, Exception? inner = null) : Exception(message, inner);
