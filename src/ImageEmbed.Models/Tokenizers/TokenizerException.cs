namespace ImageEmbed.Models.Tokenizers;

/// <summary>
/// A tokenizer file is malformed, describes a tokenizer this reader does not implement, or lacks a
/// symbol that text needs. The message names the file and what is wrong with it.
/// </summary>
public sealed class TokenizerException(string filePath, string problem, Exception? inner = null)
    : Exception($"Tokenizer file '{filePath}': {problem}", inner)
{
    /// <summary>The <c>tokenizer.json</c> the problem is in.</summary>
    public string FilePath { get; } = filePath;
}
